/**
 * Engine: vedge's public model class, `VisionEncoderDecoderModel.fromFiles(files, {from,
 * crossAttentionOnce})`, on onnxruntime-web WASM, 1 thread. One line picks what is measured:
 *
 * - `--from safetensors`: vedge's own graphs built from model.safetensors (encoder, cross_kv once
 *   per image, decoder_step whose attention broadcasts cross K/V over beams);
 * - `--from onnx --cross-once true`: the Optimum-layout export in onnx/, with cross-attention K/V
 *   computed once per image (GPT2-style exports split by graph partitioning);
 * - `--from onnx --cross-once false`: the export as shipped (GPT2: cross-attention K/V recomputed
 *   at every step for every beam).
 *
 * `--unit caption`: one timed sample is a whole caption (encoder cache off: the encoder runs every
 * time). `--unit decode`: the encoder output is cached (same pixels every run), so a sample is
 * the decoding alone: cross-attention K/V (where computed once), the first step and the others.
 * Either way the engine also times the encoder alone at load (median of 3 runs on perturbed
 * pixels, so the cache cannot answer) and reports it as `encoderMs`.
 *
 * Pixels: `--pixels golden:<fixture>` takes the fixture's golden pixel values of probe.png;
 * `--pixels synthetic` draws seeded values in [-1, 1] at the config's image size.
 * `--min-new-tokens n` (with max-new-tokens n) makes every caption exactly n steps long, so random
 * models that would stop at EOS early still give comparable per-step times.
 * @module
 */
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { resolveModelFiles } from "../../src/hub/resolve_model_files.ts";
import type { FloatTensor } from "../../src/tensor.ts";
import { type BenchEngine, serveEngine } from "../support/engine.ts";
import { type FixtureModel, flag, readGolden } from "../support/fixtures.ts";

async function pixelValues(spec: string, imageSize: number): Promise<FloatTensor> {
  if (spec.startsWith("golden:")) {
    const pv = (await readGolden(spec.slice(7) as FixtureModel)).pixel_values["probe.png"];
    return { data: Float32Array.from(pv.data), dims: pv.dims };
  }
  if (spec !== "synthetic") throw new RangeError(`--pixels golden:<fixture> or synthetic`);
  const n = 3 * imageSize * imageSize;
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return { data, dims: [1, 3, imageSize, imageSize] };
}

async function load(args: string[]): Promise<BenchEngine> {
  const dir = flag(args, "dir", "");
  const from = flag(args, "from", "onnx") as "onnx" | "safetensors";
  const crossOnce = flag(args, "cross-once", "true") === "true";
  const unit = flag(args, "unit", "caption");
  const numBeams = Number(flag(args, "num-beams", "1"));
  const maxNew = Number(flag(args, "max-new-tokens", "16"));
  const minNew = Number(flag(args, "min-new-tokens", "0"));
  const files = await resolveModelFiles(dir);
  const t0 = performance.now();
  // THE ENGINE LINE: what is compared is decided here and nowhere else.
  const model = await VisionEncoderDecoderModel.fromFiles(files, {
    from,
    crossAttentionOnce: crossOnce,
    device: "wasm",
    numThreads: 1,
    encoderCacheSize: unit === "decode" ? 8 : 0,
  });
  const loadMs = performance.now() - t0;
  const imageSize = Number(model.config.encoder.fields.image_size ?? 224);
  const pixels = await pixelValues(flag(args, "pixels", "synthetic"), imageSize);
  const encoderTimes: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const p = { data: pixels.data.slice(), dims: pixels.dims };
    p.data[0] += i * 1e-3; // a different image each time: never a cache hit
    const s = performance.now();
    await model.encode(p);
    encoderTimes.push(performance.now() - s);
  }
  encoderTimes.sort((a, b) => a - b);
  const options = {
    num_beams: numBeams,
    max_new_tokens: maxNew,
    ...(minNew ? { min_new_tokens: minNew } : {}),
  };
  const info: Record<string, string | number | boolean> = {
    engine: `vedge fromFiles(from: ${from}, crossAttentionOnce: ${crossOnce})`,
    threads: model.backend.ort.env.wasm.numThreads as number,
    unit,
    loadMs: Math.round(loadMs),
    encoderMs: Number(encoderTimes[1].toFixed(1)),
  };
  return {
    info,
    async run(): Promise<number[][]> {
      const before = model.stats;
      const ids = (await model.generate(pixels, options)).sequences;
      // per-caption counters (the ready message carries those of the first, untimed run)
      const after = model.stats;
      info.crossKvRuns = after.crossKvRuns - before.crossKvRuns;
      info.decoderRuns = after.decoderFirstRuns + after.decoderStepRuns -
        before.decoderFirstRuns - before.decoderStepRuns;
      info.crossBytesCopied = after.crossBytesCopied - before.crossBytesCopied;
      return ids;
    },
  };
}

if (import.meta.main) await serveEngine(() => load(Deno.args));
