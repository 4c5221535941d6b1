/**
 * Plain tensors that cross stage boundaries (pixel values, encoder states, logits) without tying
 * any stage but src/runtime to onnxruntime-web.
 * @module
 */

/** A dense float32 tensor, row-major. */
export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

/**
 * Number of elements a shape holds.
 * @param dims the shape
 * @returns the product of the dimensions
 */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
