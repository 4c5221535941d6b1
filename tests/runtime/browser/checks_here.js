// The matrix's browser rows (page and module worker) run this: dist/browser/vedge.js against
// the fixtures served by the matrix's server, cases from dist/tests/cases.json.
import * as vedge from "/dist/browser/vedge.js";
import { pipelineCaption, runMatrixCases } from "/dist/tests/checks.js";

/** Runs the cases in this context (page or worker) and returns the results. */
export async function runHere() {
  const cases = await (await fetch("/dist/tests/cases.json")).json();
  const base = new URL("/tests/fixtures/", location.href).href;
  const caption = pipelineCaption(vedge, {
    model: (m) => `${base}models/${m}`,
    image: async (n) => new Uint8Array(await (await fetch(`${base}images/${n}`)).arrayBuffer()),
  }, { device: "wasm" });
  return runMatrixCases(cases, caption);
}
