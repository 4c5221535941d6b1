/**
 * The workerd build's onnxruntime-web: the WASM-only build, bundled, with its .wasm imported as
 * a module. workerd refuses to compile wasm from bytes ("Wasm code generation disallowed by
 * embedder") and has no `import.meta.url` to find files by, so the emscripten glue is told the
 * binary is provided (a one-byte marker) and its `WebAssembly.instantiate(bytes, imports)` call
 * is answered with the imported module. Nothing else is intercepted. One thread (workerd has no
 * Worker).
 * @module
 */
// @ts-ignore: a wasm module import, resolved by workerd (the bundler keeps it external)
import ortWasm from "./ort-wasm-simd-threaded.wasm";
import * as ort from "onnxruntime-web/wasm";

const MARKER = new Uint8Array([0]);
const module = ortWasm as WebAssembly.Module;

/** Whether `source` is (a copy of) the marker the glue was given as its binary. */
function isMarker(source: unknown): boolean {
  const bytes = source instanceof Uint8Array
    ? source
    : source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : undefined;
  return bytes !== undefined && bytes.byteLength === 1 && bytes[0] === 0;
}

const original = WebAssembly.instantiate.bind(WebAssembly);
const instantiate = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> =>
  isMarker(source)
    ? original(module, imports).then((instance) => ({ instance, module }))
    : (original as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>)(source, imports);
(WebAssembly as { instantiate: unknown }).instantiate = instantiate;

ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmBinary = MARKER;

export * from "onnxruntime-web/wasm";
