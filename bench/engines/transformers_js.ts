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
import { type FixtureModel, flag, readGolden, ROOT } from "../support/fixtures.ts";

/** The slice of transformers.js this engine touches. */
interface Tjs {
  env: {
    allowRemoteModels: boolean;
    allowLocalModels: boolean;
    localModelPath: string;
    useBrowserCache: boolean;
    logLevel: number;
    fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
    version: string;
    backends: {
      onnx: {
        versions?: Record<string, string>;
        wasm: { numThreads: number; wasmPaths: { mjs: string; wasm: string } | string };
      };
    };
  };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
  AutoModelForVision2Seq: {
    from_pretrained(id: string, options: Record<string, unknown>): Promise<TjsModel>;
  };
}

interface TjsModel {
  generate(options: Record<string, unknown>): Promise<{ tolist(): (number | bigint)[][] }>;
}

/** The web build, by file path (see the module comment for why). */
export const TJS_WEB_BUILD = "node_modules/@huggingface/transformers/dist/transformers.web.js";

/**
 * The dist folder of the onnxruntime-web that transformers.js imported: nested under the package
 * when npm could not hoist it (another onnxruntime-web at the top), else the top-level one.
 * @param version the version the loaded build reports
 * @returns the folder, checked to hold that version
 */
async function ortWebDist(version: string): Promise<URL> {
  const found: string[] = [];
  for (const base of ["node_modules/@huggingface/transformers/node_modules/", "node_modules/"]) {
    const pkg = new URL(`${base}onnxruntime-web/`, ROOT);
    try {
      const v = JSON.parse(await Deno.readTextFile(new URL("package.json", pkg))).version;
      if (v === version) return new URL("dist/", pkg);
      found.push(`${base}onnxruntime-web is ${v}`);
    } catch {
      found.push(`no ${base}onnxruntime-web`);
    }
  }
  throw new Error(`transformers.js loaded onnxruntime-web ${version}, but ${found.join("; ")}`);
}

/**
 * Loads transformers.js' web build configured for offline WASM with one thread.
 * @returns the module, configured
 */
export async function loadTransformersJs(): Promise<Tjs> {
  const spec = new URL(TJS_WEB_BUILD, ROOT).href; // a variable: `deno check` must not follow it
  const t = await import(spec) as Tjs;
  const { env } = t;
  const ortDist = await ortWebDist(env.backends.onnx.versions?.web ?? "");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = new URL("tests/fixtures/models/", ROOT).href;
  env.useBrowserCache = false;
  env.logLevel = 40; // errors only: no warnings on stdout-adjacent streams
  const wasm = env.backends.onnx.wasm;
  wasm.numThreads = 1;
  const paths = {
    mjs: new URL("ort-wasm-simd-threaded.asyncify.mjs", ortDist).href,
    wasm: new URL("ort-wasm-simd-threaded.asyncify.wasm", ortDist).href,
  };
  wasm.wasmPaths = paths;
  const fetchFile = globalThis.fetch.bind(globalThis);
  env.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === paths.mjs) {
      return Promise.resolve(new Response(null, { status: 404, statusText: "import it by URL" }));
    }
    if (!url.startsWith("file:")) {
      return Promise.reject(new Error(`offline benchmark refused a fetch of ${url}`));
    }
    return fetchFile(input, init);
  };
  return t;
}

async function load(args: string[]): Promise<BenchEngine> {
  const model = flag(args, "model", "vit-gpt2") as FixtureModel;
  const numBeams = Number(flag(args, "num-beams", "1"));
  const maxNew = Number(flag(args, "max-new-tokens", "16"));
  const t = await loadTransformersJs();
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
