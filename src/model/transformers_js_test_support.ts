/**
 * Test support (run as a child process by save_pretrained_test.ts, never imported by the library):
 * loads a saved model folder with transformers.js 4.3.1, offline, on onnxruntime-web WASM with one
 * thread, and prints the greedy ids of `model.generate()` for golden pixel values as one JSON line.
 *
 * Run: `deno run -A --node-modules-dir=manual src/model/transformers_js_test_support.ts
 * <models-folder-url> <model-name> <golden.json path> <case>...`.
 * The incantation is bench/engines/transformers_js.ts's (see its module comment): the package's
 * web build imported by file path (its "node" export refuses device "wasm"), bare imports
 * resolved from node_modules (hence `--node-modules-dir=manual`, which `deno test` under
 * deno.json's "none" cannot give in-process), `wasmPaths` pointing at the onnxruntime-web
 * files it loaded (nested or hoisted), and an `env.fetch` that serves only `file:` URLs (so nothing is downloaded) and lets ORT
 * import its glue `.mjs` by URL. Images are not decoded here (the web build needs
 * OffscreenCanvas): the golden pixel values are fed to `generate()`.
 * @module
 */

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
      onnx: { versions?: Record<string, string>; wasm: { numThreads: number; wasmPaths: unknown } };
    };
  };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
  AutoModelForVision2Seq: {
    from_pretrained(id: string, options: Record<string, unknown>): Promise<{
      generate(options: Record<string, unknown>): Promise<{ tolist(): (number | bigint)[][] }>;
    }>;
  };
}

interface GoldenCase {
  name: string;
  images: string[];
  kwargs: Record<string, unknown>;
}

const ROOT = new URL("../../", import.meta.url);

/** The onnxruntime-web dist transformers.js loaded: nested under the package, else hoisted. */
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

async function main(args: string[]): Promise<void> {
  const [modelsUrl, model, goldenPath, ...cases] = args;
  const build = new URL("node_modules/@huggingface/transformers/dist/transformers.web.js", ROOT);
  const t = await import(build.href) as Tjs;
  const { env } = t;
  const ortDist = await ortWebDist(env.backends.onnx.versions?.web ?? "");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelsUrl;
  env.useBrowserCache = false;
  env.logLevel = 40;
  const wasm = env.backends.onnx.wasm;
  wasm.numThreads = 1;
  const paths = {
    mjs: new URL("ort-wasm-simd-threaded.asyncify.mjs", ortDist).href,
    wasm: new URL("ort-wasm-simd-threaded.asyncify.wasm", ortDist).href,
  };
  wasm.wasmPaths = paths;
  const fetchFile = globalThis.fetch.bind(globalThis);
  const fetched: string[] = [];
  env.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === paths.mjs) {
      return Promise.resolve(new Response(null, { status: 404, statusText: "import it by URL" }));
    }
    if (!url.startsWith("file:")) {
      return Promise.reject(new Error(`offline test refused a fetch of ${url}`));
    }
    if (url.startsWith(modelsUrl)) fetched.push(url.slice(modelsUrl.length));
    return fetchFile(input, init);
  };
  const golden = JSON.parse(await Deno.readTextFile(goldenPath)) as {
    pixel_values: Record<string, { dims: number[]; data: number[] }>;
    generate: GoldenCase[];
  };
  const m = await t.AutoModelForVision2Seq.from_pretrained(model, {
    device: "wasm",
    dtype: "fp32",
  });
  const results: Record<string, number[][]> = {};
  for (const name of cases) {
    const c = golden.generate.find((g) => g.name === name);
    if (!c) throw new RangeError(`no golden case ${name}`);
    const pv = c.images.map((i) => golden.pixel_values[i]);
    const data = Float32Array.from(pv.flatMap((p) => p.data));
    const inputs = new t.Tensor("float32", data, [pv.length, ...pv[0].dims.slice(1)]);
    const out = await m.generate({ inputs, ...c.kwargs });
    results[name] = out.tolist().map((r) => r.map(Number));
  }
  console.log(JSON.stringify({ version: env.version, fetched, results }));
}

if (import.meta.main) await main(Deno.args);
