/**
 * Does running the encoder and the decoder in two Web Workers pay? Images per second for one
 * batch of 8 distinct images (greedy by default), the model in workers (encoder of image n+1
 * while image n decodes) against the same model inline (one batched generate on the calling
 * thread), with 1 and 2 WASM threads per onnxruntime instance. The encoder cache is off (0) in
 * both modes, so every image is encoded. Before timing, every configuration must produce the
 * same token ids as the inline 1-thread one.
 *
 * - `--size real` (default): the real-size vit-gpt2 of bench/make_model.ts (ViT-B/16 + GPT2
 *   124M; run `deno run -A bench/make_model.ts --model vit-gpt2` first). Minutes.
 * - `--size fixture`: the oracle's tiny vit-gpt2 fixture (a smoke check: timing it means nothing).
 *
 * Rounds are interleaved (each round times every configuration once, the order rotating), so
 * load from other processes hits all alike; reported are the median images/s and the ratio
 * workers / inline at the same thread count. Note the machine's load beside the numbers.
 *
 * `deno run -A bench/pipelining.ts [--size real|fixture] [--rounds n] [--beams n]
 * [--max-new-tokens n] [--threads 1,2] [--json]`
 * @module
 */
import { pipeline } from "../mod.ts";
import type { ImageToTextPipeline } from "../src/pipeline/image_to_text.ts";
import type { RgbImage } from "../src/image/rgb_image.ts";
import { benchModelDir } from "./make_model.ts";
import { flag, modelDir } from "./support/fixtures.ts";

const BATCH = 8;

interface Config {
  label: string;
  workers: boolean;
  threads: number;
  p: ImageToTextPipeline;
}

/** Eight distinct images: the two probes, each rolled by a different number of pixels. */
async function images(p: ImageToTextPipeline): Promise<RgbImage[]> {
  const probes = await Promise.all(
    ["probe.png", "probe2.png"].map((n) =>
      p.load(new URL(`../tests/fixtures/images/${n}`, import.meta.url).pathname)
    ),
  );
  return Array.from({ length: BATCH }, (_, i) => {
    const src = probes[i % 2];
    const shift = 3 * (1 + Math.floor(i / 2)) * 7;
    const data = new Uint8Array(src.data.length);
    data.set(src.data.subarray(shift));
    data.set(src.data.subarray(0, shift), src.data.length - shift);
    return { width: src.width, height: src.height, data };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (import.meta.main) {
  const size = flag(Deno.args, "size", "real");
  const rounds = Number(flag(Deno.args, "rounds", size === "real" ? "3" : "5"));
  const beams = Number(flag(Deno.args, "beams", "1"));
  const maxNewTokens = Number(flag(Deno.args, "max-new-tokens", "16"));
  const threads = flag(Deno.args, "threads", "1,2").split(",").map(Number);
  const json = Deno.args.includes("--json");
  const source = size === "real"
    ? benchModelDir("vit-gpt2").pathname
    : size === "fixture"
    ? modelDir("vit-gpt2").pathname
    : (() => {
      throw new RangeError(`--size must be real or fixture, got ${size}`);
    })();
  const options = { max_new_tokens: maxNewTokens, num_beams: beams };
  const configs: Config[] = [];
  for (const t of threads) {
    for (const workers of [false, true]) {
      const p = await pipeline("image-to-text", source, {
        device: "wasm",
        numThreads: t,
        encoderCacheSize: 0,
        workers,
      });
      configs.push({
        label: `${workers ? "workers" : "inline"}, ${t} thread(s)`,
        workers,
        threads: t,
        p,
      });
    }
  }
  const batch = await images(configs[0].p);
  // correctness first: every configuration answers what inline with 1 thread answers
  const expected = JSON.stringify(await configs[0].p.caption(batch, options));
  for (const c of configs.slice(1)) {
    const got = JSON.stringify(await c.p.caption(batch, options));
    if (got !== expected) {
      throw new Error(`${c.label} answers differently from ${configs[0].label}`);
    }
  }
  const rates = new Map<Config, number[]>(configs.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(k + r) % configs.length];
      const t0 = performance.now();
      await c.p.caption(batch, options);
      rates.get(c)!.push(BATCH / ((performance.now() - t0) / 1000));
    }
  }
  const rows = configs.map((c) => {
    const inline = configs.find((o) => !o.workers && o.threads === c.threads)!;
    return {
      config: c.label,
      imagesPerSecond: median(rates.get(c)!),
      vsInline: median(rates.get(c)!) / median(rates.get(inline)!),
    };
  });
  const load = await Deno.readTextFile("/proc/loadavg").catch(() => "unknown");
  if (json) console.log(JSON.stringify({ size, rounds, beams, maxNewTokens, load, rows }));
  else {
    console.log(
      `pipelining: vit-gpt2 (${size}), batch of ${BATCH}, max_new_tokens ${maxNewTokens}, ` +
        `num_beams ${beams}, ${rounds} rounds, load average ${
          load.split(" ").slice(0, 3).join(" ")
        }`,
    );
    console.log("| configuration | images/s (median) | vs inline, same threads |");
    console.log("| --- | --- | --- |");
    for (const r of rows) {
      console.log(`| ${r.config} | ${r.imagesPerSecond.toFixed(2)} | ${r.vsInline.toFixed(2)}x |`);
    }
  }
  await Promise.all(configs.map((c) => c.p.dispose()));
}
