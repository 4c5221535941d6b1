// The matrix's browser rows (page and module worker) run this: dist/browser/vedge.js against
// the fixtures served by the matrix's server, cases from dist/tests/cases.json; device "wasm",
// or "webgpu" forced for the -webgpu rows (SwiftShader in headless Chromium).
import * as vedge from "/dist/browser/vedge.js";
import { pipelineCaption, runMatrixCases } from "/dist/tests/checks.js";

/**
 * Runs the cases in this context (page or worker) and returns the results.
 * @param {"wasm" | "webgpu"} device the backend to force
 */
export async function runHere(device = "wasm") {
  const cases = await (await fetch("/dist/tests/cases.json")).json();
  const base = new URL("/tests/fixtures/", location.href).href;
  const caption = pipelineCaption(vedge, {
    model: (m) => `${base}models/${m}`,
    image: async (n) => new Uint8Array(await (await fetch(`${base}images/${n}`)).arrayBuffer()),
  }, { device });
  return runMatrixCases(cases, caption);
}
