/**
 * Plain tensors that cross stage boundaries (pixel values, encoder states, logits) without tying
 * any stage but src/runtime to onnxruntime-web.
 * @module
 */

/** A dense float32 tensor, row-major. */
export interface FloatTensor {
  /** Row-major values. */
  data: Float32Array;
  /** Dimensions. */
  dims: number[];
}
