/**
 * The only door to onnxruntime-web. The module is imported lazily, when a backend is chosen, so
 * importing vedge has no side effects and never pulls in a build the platform cannot run (the
 * WebGPU build breaks Deno Deploy and is over Cloudflare's size limit).
 * @module
 */
import type * as OrtTypes from "npm:onnxruntime-web@1.30.0";

/** The onnxruntime-web namespace (any of its builds: they share one API). */
export type Ort = typeof OrtTypes;
/** An onnxruntime tensor. */
export type OrtTensor = OrtTypes.Tensor;
/** An onnxruntime inference session. */
export type OrtSession = OrtTypes.InferenceSession;

/** Which onnxruntime-web build a backend needs. */
export type OrtBuild = "wasm" | "webgpu";

const provided = new Map<OrtBuild, Ort>();
const loading = new Map<OrtBuild, Promise<Ort>>();

/**
 * Supplies an already-imported onnxruntime-web module, for bundles that must import it statically
 * (Cloudflare Workers, where wasm cannot be compiled from fetched bytes).
 * @param build which build this module serves
 * @param ort the imported namespace
 */
export function provideOrt(build: OrtBuild, ort: Ort): void {
  provided.set(build, ort);
}

/**
 * Imports the onnxruntime-web build once and returns it.
 * @param build "wasm" (WASM-SIMD only) or "webgpu" (WebGPU + WASM)
 * @returns the module namespace
 */
export function loadOrt(build: OrtBuild): Promise<Ort> {
  const given = provided.get(build);
  if (given) return Promise.resolve(given);
  let p = loading.get(build);
  if (!p) {
    p = (build === "webgpu"
      ? import("npm:onnxruntime-web@1.30.0/webgpu")
      : import("npm:onnxruntime-web@1.30.0")) as Promise<Ort>;
    loading.set(build, p);
  }
  return p;
}
