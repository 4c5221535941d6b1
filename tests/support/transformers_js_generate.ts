/**
 * Test support (run as a child process by save_pretrained_test.ts, never imported by the library):
 * loads a saved model folder with transformers.js 4.3.1, offline, on onnxruntime-web WASM with one
 * thread, and prints the greedy ids of `model.generate()` for golden pixel values as one JSON line.
 *
 * Run: `deno run -A --node-modules-dir=manual tests/support/transformers_js_generate.ts
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
import type { GoldenCase } from "./goldens.ts";
import { loadTransformersJs } from "./transformers_js_offline.ts";

async function main(args: string[]): Promise<void> {
  const [modelsUrl, model, goldenPath, ...cases] = args;
  const fetched: string[] = [];
  const t = await loadTransformersJs(modelsUrl, (url) => {
    if (url.startsWith(modelsUrl)) fetched.push(url.slice(modelsUrl.length));
  });
  const { env } = t;
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
