// The matrix's Chromium module-worker row: runs the checks here and posts the results.
import { runHere } from "./checks_here.js";

runHere(new URLSearchParams(location.search).get("device") ?? "wasm").then(
  (results) => postMessage({ results }),
  (e) => postMessage({ error: `${e?.name}: ${e?.message}` }),
);
