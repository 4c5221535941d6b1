/**
 * WebGPU per-step cost: for each model, greedy and beam-4 decoding with device "webgpu" forced,
 * reporting ms per decoder run and the bytes copied between GPU and CPU per run
 * (model.stats.hostBytesPerStep: token ids up, logits down; the K/V cache stays on the GPU), plus
 * the encoder's ms per image. Models: the two fixtures (their greedy ids are first checked against
 * the Python goldens) and, when bench/make_model.ts has made them, the real-size ones
 * (bench/models/vit-gpt2, bench/models/trocr-small). Meant for a machine with a real GPU; on a
 * software adapter (llvmpipe, SwiftShader) it runs too, and the times mean nothing.
 *
 * `deno run -A --unstable-webgpu bench/webgpu.ts [--runs n] [--tokens n] [--json]`
 * (defaults: 5 timed captions per case after one warm-up, 16 new tokens forced with
 * min_new_tokens so every caption has the same number of steps).
 * @module
 */
import { VisionEncoderDecoderModel } from "../src/model/vision_encoder_decoder.ts";
import { flag, readGolden, ROOT } from "./support/fixtures.ts";

interface Row {
  model: string;
  beams: number;
  adapter: string;
  encoderMs: number;
  msPerStep: number;
  decoderRunsPerCaption: number;
  bytesPerStep: { first: number; later: number; max: number };
  goldenGreedy: "equal" | "differs" | "no golden";
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function adapterName(): Promise<string> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const a = await gpu?.requestAdapter() as
    | { info?: { vendor?: string; architecture?: string; description?: string } }
    | null
    | undefined;
  if (!a) throw new Error("no WebGPU adapter: run with --unstable-webgpu on a machine with one");
  const i = a.info ?? {};
  return [i.vendor, i.architecture, i.description].filter(Boolean).join(" ") || "unnamed";
}

function base0(golden: { pixels: { dims: number[] } } | null): number {
  if (!golden) throw new Error("config.json gives no encoder image_size");
  return golden.pixels.dims[2];
}

async function exists(path: string): Promise<boolean> {
  return !!(await Deno.stat(path).catch(() => null));
}

/** Pixel values [1, 3, S, S]: the golden ones for fixtures, a seeded pattern for real-size. */
function pixelsFor(size: number, seed: number): { data: Float32Array; dims: number[] } {
  // [1, 3, size, size]
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.013 + seed) * 0.9;
  return { data, dims: [1, 3, size, size] };
}

async function benchModel(
  name: string,
  dir: string,
  golden: { ids: number[]; pixels: { data: Float32Array; dims: number[] } } | null,
  runs: number,
  tokens: number,
  adapter: string,
): Promise<Row[]> {
  const model = await VisionEncoderDecoderModel.fromPretrained(dir, { device: "webgpu" });
  const rows: Row[] = [];
  try {
    const size = model.config.encoder.imageSize?.[0] ?? base0(golden);
    const base = golden?.pixels ?? pixelsFor(size, 1);
    let goldenGreedy: Row["goldenGreedy"] = "no golden";
    if (golden) {
      const out = await model.generate(base, { maxNewTokens: 16, numBeams: 1 });
      goldenGreedy = JSON.stringify(out.sequences[0]) === JSON.stringify(golden.ids)
        ? "equal"
        : "differs";
    }
    // the encoder on images it has not seen (the per-image cache would answer repeats)
    const encMs: number[] = [];
    for (let r = 0; r <= runs; r++) {
      const img = pixelsFor(size, 100 + r);
      const t0 = performance.now();
      await model.encode(img);
      if (r > 0) encMs.push(performance.now() - t0);
    }
    for (const beams of [1, 4]) {
      const opts = { maxNewTokens: tokens, minNewTokens: tokens, numBeams: beams };
      await model.generate(base, opts); // warm-up (the encoder output is cached from here on)
      const ms: number[] = [];
      let perCaption = 0;
      let steps: number[] = [];
      for (let r = 0; r < runs; r++) {
        const before = model.stats;
        const t0 = performance.now();
        await model.generate(base, opts);
        const dt = performance.now() - t0;
        const after = model.stats;
        perCaption = after.decoderFirstRuns + after.decoderStepRuns - before.decoderFirstRuns -
          before.decoderStepRuns;
        steps = after.hostBytesPerStep.slice(-perCaption);
        ms.push(dt / perCaption);
      }
      rows.push({
        model: name,
        beams,
        adapter,
        encoderMs: median(encMs),
        msPerStep: median(ms),
        decoderRunsPerCaption: perCaption,
        bytesPerStep: {
          first: steps[0],
          later: steps[steps.length - 1],
          max: Math.max(...steps.slice(1)),
        },
        goldenGreedy,
      });
    }
  } finally {
    await model.dispose();
  }
  return rows;
}

if (import.meta.main) {
  const runs = Number(flag(Deno.args, "runs", "5"));
  const tokens = Number(flag(Deno.args, "tokens", "16"));
  const adapter = await adapterName();
  const rows: Row[] = [];
  for (const m of ["vit-gpt2", "trocr"] as const) {
    const g = await readGolden(m);
    const greedy = g.generate.find((c) => c.name === "greedy")!;
    const pv = g.pixel_values[greedy.images[0]];
    rows.push(
      ...await benchModel(
        `${m} (fixture)`,
        new URL(`tests/fixtures/models/${m}`, ROOT).pathname,
        {
          ids: greedy.sequences[0],
          pixels: { data: Float32Array.from(pv.data), dims: pv.dims },
        },
        runs,
        tokens,
        adapter,
      ),
    );
  }
  for (const m of ["vit-gpt2", "trocr-small"]) {
    const dir = new URL(`bench/models/${m}`, ROOT).pathname;
    if (await exists(`${dir}/onnx/encoder_model.onnx`)) {
      rows.push(...await benchModel(`${m} (real size)`, dir, null, runs, tokens, adapter));
    } else console.error(`skipped ${m} (real size): ${dir} not made (bench/make_model.ts)`);
  }
  if (Deno.args.includes("--json")) console.log(JSON.stringify(rows, null, 1));
  else {
    console.log(`WebGPU adapter: ${adapter}; ${tokens} new tokens, median of ${runs} captions`);
    console.log(
      "model                  beams  encoder ms  ms/step  runs  bytes first / later / max later  golden",
    );
    for (const r of rows) {
      console.log(
        `${r.model.padEnd(22)} ${String(r.beams).padStart(5)} ${
          r.encoderMs.toFixed(1).padStart(11)
        } ${r.msPerStep.toFixed(2).padStart(8)} ${String(r.decoderRunsPerCaption).padStart(5)}  ${
          `${r.bytesPerStep.first} / ${r.bytesPerStep.later} / ${r.bytesPerStep.max}`.padStart(30)
        }  ${r.goldenGreedy}`,
      );
    }
  }
}
