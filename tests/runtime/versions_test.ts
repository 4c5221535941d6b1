import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { scanNpmSpecifiers } from "../../scripts/build/npm_specifiers.ts";

const repo = new URL("../../", import.meta.url).pathname;

Deno.test("each npm package is pinned at one version in src/, and package.json and deno.json agree", async () => {
  const scanned = await scanNpmSpecifiers(`${repo}src`);
  const pins: Record<string, string> = {};
  for (const [name, versions] of scanned) {
    strictEqual(versions.size, 1, `${name} pinned at ${[...versions.keys()].join(", ")}`);
    pins[name] = [...versions.keys()][0];
  }
  deepStrictEqual(Object.keys(pins).sort(), [
    "@huggingface/tokenizers",
    "@jsquash/jpeg",
    "@jsquash/png",
    "onnx-proto",
    "onnxruntime-web",
  ]);
  const pkg = JSON.parse(await Deno.readTextFile(`${repo}package.json`));
  const denoJson = JSON.parse(await Deno.readTextFile(`${repo}deno.json`));
  for (const [name, version] of Object.entries(pins)) {
    strictEqual(pkg.devDependencies[name], version, `package.json devDependencies ${name}`);
    const mapped = denoJson.imports?.[name];
    if (mapped !== undefined) strictEqual(mapped, `npm:${name}@${version}`, `deno.json ${name}`);
  }
});

Deno.test("the npm package ships only dist/node, through an exports map", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(`${repo}package.json`));
  deepStrictEqual(pkg.files, ["dist/node/"]);
  deepStrictEqual(pkg.exports["."], {
    types: "./dist/node/mod.d.ts",
    import: "./dist/node/mod.js",
  });
  strictEqual(pkg.dependencies, undefined, "dist/node bundles its dependencies");
});
