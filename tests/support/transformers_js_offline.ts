/**
 * transformers.js 4.3.1, the peer vedge is compared with, loaded OFFLINE on onnxruntime-web WASM
 * with one thread, for the benchmarks and the interoperability tests. Run it in a process started
 * with `deno run -A --node-modules-dir=manual` so the web build's own imports resolve to its
 * pinned onnxruntime-web in node_modules (root `npm ci --ignore-scripts`).
 * - Deno picks the package's "node" export (onnxruntime-node, no "wasm" device) and the exports
 *   map refuses the web build's subpath, so the web build is imported by file path.
 * - Its wasm would come from jsDelivr: `wasmPaths` points at the local asyncify files of the
 *   onnxruntime-web copy it actually loaded (nested under the package, else hoisted).
 * - `env.fetch` serves only `file:` URLs, and answers 404 for the `.mjs` glue, which
 *   transformers.js would otherwise re-import from a `blob:` URL that Deno's npm loader rejects.
 * @module
 */

/** The part of transformers.js these callers use. */
export interface TransformersJs {
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
    from_pretrained(id: string, options: Record<string, unknown>): Promise<{
      generate(options: Record<string, unknown>): Promise<{ tolist(): (number | bigint)[][] }>;
    }>;
  };
}

/** The repository root (where node_modules is). */
const ROOT = new URL("../../", import.meta.url);

/** The web build, by file path. */
export const TJS_WEB_BUILD = "node_modules/@huggingface/transformers/dist/transformers.web.js";

/**
 * The dist folder of the onnxruntime-web that transformers.js imported.
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
 * @param localModelPath `file:` URL of the folder holding the models (ids are names inside it)
 * @param onFetch told of every file the library reads
 * @returns the module, configured
 */
export async function loadTransformersJs(
  localModelPath: string,
  onFetch?: (url: string) => void,
): Promise<TransformersJs> {
  const spec = new URL(TJS_WEB_BUILD, ROOT).href; // a variable: `deno check` must not follow it
  const t = await import(spec) as TransformersJs;
  const { env } = t;
  const ortDist = await ortWebDist(env.backends.onnx.versions?.web ?? "");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = localModelPath;
  env.useBrowserCache = false;
  env.logLevel = 40; // errors only
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
      return Promise.reject(new Error(`offline run refused a fetch of ${url}`));
    }
    onFetch?.(url);
    return fetchFile(input, init);
  };
  return t;
}
