/**
 * Dense layers on token-major activations [tokens, in] as one Gemm: PyTorch `nn.Linear` weights
 * are used as stored ([out, in], transB) and GPT2's `Conv1D` ones too ([in, out]), so no weight is
 * ever transposed or copied at build time.
 * @module
 */

import type { GraphBuilder } from "./builder.ts";

/** How a weight matrix is stored. */
export type WeightLayout = "out_in" | "in_out";

/**
 * y = x @ W^T + b (nn.Linear, layout "out_in") or y = x @ W + b (Conv1D, layout "in_out").
 * @param b the graph
 * @param x 2-D input [tokens, in]
 * @param weight initializer name
 * @param bias optional bias initializer [out]
 * @param layout "out_in" (nn.Linear, default) or "in_out" (GPT2 Conv1D)
 * @returns the [tokens, out] output
 */
export function linear(
  b: GraphBuilder,
  x: string,
  weight: string,
  bias?: string,
  layout: WeightLayout = "out_in",
): string {
  return b.gemm(x, weight, bias, { transB: layout === "out_in" });
}
