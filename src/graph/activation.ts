/**
 * The activations of transformers' `ACT2FN` (activations.py, v4.27) as ONNX subgraphs, written
 * so onnxruntime's fusions recognise the GELU patterns.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import type { GraphBuilder } from "./builder.ts";

/** Activation names this module builds (Python's ACT2FN keys). */
export const ACTIVATIONS: readonly string[] = [
  "gelu",
  "gelu_python",
  "gelu_new",
  "gelu_pytorch_tanh",
  "gelu_fast",
  "gelu_accurate",
  "quick_gelu",
  "relu",
  "relu6",
  "silu",
  "swish",
  "sigmoid",
  "tanh",
  "linear",
];

/**
 * Applies an ACT2FN activation.
 * @param b the graph
 * @param x input
 * @param name Python's name: "gelu" (erf), "gelu_new" (tanh form), "relu", ...
 * @returns the activated value
 */
export function activation(b: GraphBuilder, x: string, name: string): string {
  switch (name) {
    case "gelu":
    case "gelu_python": {
      // x * 0.5 * (1 + erf(x / sqrt(2)))
      const e = b.erf(b.mul(x, b.constF32(Math.SQRT1_2)));
      return b.mul(b.mul(x, b.constF32(0.5)), b.add(e, b.constF32(1)));
    }
    case "gelu_new":
    case "gelu_pytorch_tanh": {
      // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
      const cube = b.pow(x, b.constF32(3));
      const inner = b.mul(
        b.add(x, b.mul(cube, b.constF32(0.044715))),
        b.constF32(Math.sqrt(2 / Math.PI)),
      );
      return b.mul(b.mul(x, b.constF32(0.5)), b.add(b.tanh(inner), b.constF32(1)));
    }
    case "gelu_fast": {
      // 0.5 * x * (1 + tanh(x * 0.7978845608 * (1 + 0.044715 * x * x)))
      const sq = b.mul(x, x);
      const t = b.mul(
        b.mul(x, b.constF32(0.7978845608)),
        b.add(b.constF32(1), b.mul(sq, b.constF32(0.044715))),
      );
      return b.mul(b.mul(x, b.constF32(0.5)), b.add(b.tanh(t), b.constF32(1)));
    }
    case "gelu_accurate": {
      // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
      const cube = b.pow(x, b.constF32(3));
      const inner = b.mul(
        b.constF32(Math.sqrt(2 / Math.PI)),
        b.add(x, b.mul(b.constF32(0.044715), cube)),
      );
      return b.mul(b.mul(b.constF32(0.5), x), b.add(b.constF32(1), b.tanh(inner)));
    }
    case "quick_gelu":
      return b.mul(x, b.sigmoid(b.mul(x, b.constF32(1.702))));
    case "relu":
      return b.relu(x);
    case "relu6":
      return b.op("Clip", [x, b.constF32(0), b.constF32(6)]);
    case "silu":
    case "swish":
      return b.mul(x, b.sigmoid(x));
    case "sigmoid":
      return b.sigmoid(x);
    case "tanh":
      return b.tanh(x);
    case "linear":
      return x;
    default:
      throw new UnsupportedModelError(
        `Cannot build activation "${name}": supported are ${ACTIVATIONS.join(", ")}`,
      );
  }
}
