/**
 * The matrix's Deno row: vedge's mod.ts imported by path, run with `--no-config` from an empty
 * folder (so vedge's deno.json and its import map are not seen), with only the permissions the
 * README names for local folders (`--allow-read`, `--allow-env`). Prints the results as JSON.
 * Usage: deno run --no-config --allow-read --allow-env run.ts <cases.json> <fixtures folder>
 * @module
 */
import * as vedge from "../../../mod.ts";
import { type MatrixCase, pipelineCaption, runMatrixCases, type VedgeApi } from "../checks.ts";

const [casesPath, fixtures] = Deno.args;
const cases = JSON.parse(await Deno.readTextFile(casesPath)) as MatrixCase[];
const caption = pipelineCaption(vedge as unknown as VedgeApi, {
  model: (m) => `${fixtures}/models/${m}`,
  image: (n) => Deno.readFile(`${fixtures}/images/${n}`),
}, { device: "wasm" });
console.log(JSON.stringify(await runMatrixCases(cases, caption)));
