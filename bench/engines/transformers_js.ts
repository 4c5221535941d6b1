/**
 * Engine: transformers.js 4.3.1 on onnxruntime-web WASM, 1 thread, offline, over the fixture
 * models' ONNX files (`onnx/encoder_model.onnx` + `onnx/decoder_model_merged.onnx`, fp32).
 *
 * Run with `deno run -A --node-modules-dir=manual bench/engines/transformers_js.ts --model vit-gpt2`.
 * How it runs offline in Deno (each step is needed):
 * - The package's "node" export picks onnxruntime-node and rejects device "wasm", and Deno
 *   always applies the "node" condition; `npm:...@4.3.1/dist/transformers.web.js` is refused by
 *   the exports map. So the web build is imported by file path from node_modules, with
 *   `--node-modules-dir=manual` so its bare imports (`onnxruntime-web/webgpu`,
 *   `onnxruntime-common`) resolve to its own pinned versions in node_modules (ORT 1.31.0-dev).
 * - In Deno the web build runs in its "Deno web runtime" mode (Cache API present, no fs): models
 *   come through `env.fetch`, which reads `file:` URLs, so `env.localModelPath` is a file URL.
 * - `env.backends.onnx.wasm.wasmPaths` points at its onnxruntime-web's dist folder (the
 *   `.asyncify` files it would fetch from jsDelivr). transformers.js pre-fetches the glue `.mjs`
 *   and re-imports it from a `blob:` URL, which Deno's npm loader refuses; the custom `env.fetch`
 *   declines that one file, so ORT imports the glue by its file URL (the `.wasm` is still
 *   pre-fetched and handed over as bytes).
 * - Images: in this mode transformers.js decodes and resizes with OffscreenCanvas, which Deno
 *   lacks, so the engine feeds the golden pixel values to `model.generate` (no preprocessing).
 * @module
 */
import { type BenchEngine, serveEngine } from "../support/engine.ts";
import { loadTransformersJs } from "../../tests/support/transformers_js_offline.ts";
import { type FixtureModel, flag, readGolden, ROOT } from "../support/fixtures.ts";

/** The slice of transformers.js this engine touches. */
async function load(args: string[]): Promise<BenchEngine> {
  const model = flag(args, "model", "vit-gpt2") as FixtureModel;
  const numBeams = Number(flag(args, "num-beams", "1"));
  const maxNew = Number(flag(args, "max-new-tokens", "16"));
  const t = await loadTransformersJs(new URL("tests/fixtures/models/", ROOT).href);
  const m = await t.AutoModelForVision2Seq.from_pretrained(model, {
    device: "wasm",
    dtype: "fp32",
  });
  const pv = (await readGolden(model)).pixel_values["probe.png"];
  const data = Float32Array.from(pv.data);
  return {
    info: {
      engine: `transformers.js ${t.env.version}`,
      ort: `onnxruntime-web ${t.env.backends.onnx.versions?.web ?? "?"} (asyncify wasm)`,
      threads: t.env.backends.onnx.wasm.numThreads,
      decoder: "onnx/decoder_model_merged.onnx",
      input: "golden pixel values (no preprocessing)",
    },
    async run(): Promise<number[][]> {
      const inputs = new t.Tensor("float32", data, pv.dims);
      const out = await m.generate({
        inputs,
        max_new_tokens: maxNew,
        do_sample: false,
        num_beams: numBeams,
      });
      return out.tolist().map((r) => r.map(Number));
    },
  };
}

if (import.meta.main) await serveEngine(() => load(Deno.args));
