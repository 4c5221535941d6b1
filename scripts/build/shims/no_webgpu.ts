/**
 * Stands in for onnxruntime-web/webgpu in builds whose host has no WebGPU (Node, workerd):
 * importing it fails with a message, which backend selection reports as the reason.
 * @module
 */
throw new Error(
  "this build of vedge has no WebGPU (its host has none, and the WebGPU runtime is over its " +
    'size budget); use device "wasm" or the browser build',
);
