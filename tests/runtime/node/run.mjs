// The matrix's Node row, copied into a fresh folder where the packed vedge tarball is
// installed: `import("vedge")` resolves through package.json's exports to dist/node.
// Usage: node run.mjs <cases.json> <fixtures folder> <checks.js URL>; prints results as JSON.
import { readFile } from "node:fs/promises";

const [casesPath, fixtures, checksUrl] = process.argv.slice(2);
const vedge = await import("vedge");
const { pipelineCaption, runMatrixCases } = await import(checksUrl);
const cases = JSON.parse(await readFile(casesPath, "utf8"));
const caption = pipelineCaption(vedge, {
  model: (m) => `${fixtures}/models/${m}`,
  image: async (n) => new Uint8Array(await readFile(`${fixtures}/images/${n}`)),
}, { device: "wasm" });
console.log(JSON.stringify(await runMatrixCases(cases, caption)));
