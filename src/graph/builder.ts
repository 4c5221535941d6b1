/**
 * A small ONNX graph builder over npm `onnx-proto` (protobufjs-generated `onnx.ModelProto`).
 *
 * Values are plain strings: the ONNX name of a tensor. Every helper takes value names and returns
 * the name of what it produced, so a forward pass reads top to bottom:
 *
 * ```ts
 * const b = new GraphBuilder({ name: "mlp" });
 * const x = b.input("x", "float32", ["batch", 4]);
 * const w = b.initializerF32("w", new Float32Array(8), [2, 4]);
 * b.output("y", b.relu(b.gemm(x, w, undefined, { transB: true })), "float32", ["batch", 2]);
 * const bytes = b.toBytes(); // an ONNX model ORT-web loads
 * ```
 *
 * Memory: initializer bytes are referenced, never copied, until `toBytes()` encodes the model
 * into one buffer (the only copy). Pass checkpoint bytes straight through (`initializer`) when
 * they are already little-endian float32; real models hold about 500 MB of weights.
 *
 * Names: `unique(base)` makes a fresh name; `withScope("layer.0", fn)` prefixes the names made
 * inside `fn` (readable graphs, stable for partitioning). Default opset: 17 (LayerNormalization
 * native), IR version 8; both run on onnxruntime-web 1.30.
 * @module
 */

import { GraphCore } from "./graph_core.ts";
import { bytesOf, type ElemType, elemTypeCode, FloatAttr, TensorAttr } from "./graph_values.ts";

export {
  type AttrValue,
  bytesOf,
  type Dim,
  type ElemType,
  elemTypeCode,
  FloatAttr,
  FloatsAttr,
  type GraphBuilderOptions,
  type NodeOptions,
  type SubGraph,
  TensorAttr,
} from "./graph_values.ts";

/** Largest finite float32, as PyTorch's `torch.finfo(torch.float32).max`. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Builds one ONNX graph (and its model): GraphCore plus the operator helpers. */
export class GraphBuilder extends GraphCore {
  // ---- elementwise ---------------------------------------------------------------------------

  /** @param a left @param b right @returns a + b (numpy broadcasting) */
  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }
  /** @param a left @param b right @returns a - b */
  sub(a: string, b: string): string {
    return this.op("Sub", [a, b]);
  }
  /** @param a left @param b right @returns a * b */
  mul(a: string, b: string): string {
    return this.op("Mul", [a, b]);
  }
  /** @param a left @param b right @returns a / b */
  div(a: string, b: string): string {
    return this.op("Div", [a, b]);
  }
  /** @param a base @param b exponent @returns a ** b */
  pow(a: string, b: string): string {
    return this.op("Pow", [a, b]);
  }
  /** @param x input @returns sqrt(x) */
  sqrt(x: string): string {
    return this.op("Sqrt", [x]);
  }
  /** @param x input @returns erf(x) */
  erf(x: string): string {
    return this.op("Erf", [x]);
  }
  /** @param x input @returns tanh(x) */
  tanh(x: string): string {
    return this.op("Tanh", [x]);
  }
  /** @param x input @returns sigmoid(x) */
  sigmoid(x: string): string {
    return this.op("Sigmoid", [x]);
  }
  /** @param x input @returns max(x, 0) */
  relu(x: string): string {
    return this.op("Relu", [x]);
  }
  /** @param x input @returns -x */
  neg(x: string): string {
    return this.op("Neg", [x]);
  }
  /** @param x boolean input @returns not x */
  not(x: string): string {
    return this.op("Not", [x]);
  }
  /** @param a left @param b right @returns a == b (bool) */
  equal(a: string, b: string): string {
    return this.op("Equal", [a, b]);
  }
  /** @param a left @param b right @returns a < b (bool) */
  less(a: string, b: string): string {
    return this.op("Less", [a, b]);
  }
  /** @param a left @param b right @returns a <= b (bool) */
  lessOrEqual(a: string, b: string): string {
    return this.op("LessOrEqual", [a, b]);
  }
  /** @param cond bool condition @param a taken where true @param b taken where false @returns selection */
  where(cond: string, a: string, b: string): string {
    return this.op("Where", [cond, a, b]);
  }
  /** @param x input @param to target type @returns x converted */
  cast(x: string, to: ElemType): string {
    return this.op("Cast", [x], { to: elemTypeCode(to) });
  }

  // ---- linear algebra ------------------------------------------------------------------------

  /** @param a left @param b right @returns a @ b (numpy matmul broadcasting) */
  matMul(a: string, b: string): string {
    return this.op("MatMul", [a, b]);
  }

  /**
   * General matrix multiply on 2-D inputs: alpha * op(a) @ op(b) + beta * c.
   * @param a [M, K] (or [K, M] with transA)
   * @param b [K, N] (or [N, K] with transB: a PyTorch nn.Linear weight as stored)
   * @param c optional bias, broadcast to [M, N]
   * @param options transA, transB, alpha, beta
   * @returns the [M, N] result
   */
  gemm(
    a: string,
    b: string,
    c?: string,
    options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {},
  ): string {
    return this.op("Gemm", c ? [a, b, c] : [a, b], {
      transA: options.transA ? 1 : undefined,
      transB: options.transB ? 1 : undefined,
      alpha: options.alpha === undefined ? undefined : new FloatAttr(options.alpha),
      beta: options.beta === undefined ? undefined : new FloatAttr(options.beta),
    });
  }

  /**
   * 2-D convolution (NCHW).
   * @param x input [N, C, H, W]
   * @param w weight [M, C, kH, kW]
   * @param bias optional [M]
   * @param options strides, pads (4 values), dilations, group
   * @returns the output [N, M, oH, oW]
   */
  conv(
    x: string,
    w: string,
    bias: string | undefined,
    options: { strides?: number[]; pads?: number[]; dilations?: number[]; group?: number } = {},
  ): string {
    return this.op("Conv", bias ? [x, w, bias] : [x, w], {
      strides: options.strides,
      pads: options.pads,
      dilations: options.dilations,
      group: options.group,
    });
  }

  /**
   * Softmax along one axis.
   * @param x input
   * @param axis the axis (default -1)
   * @returns softmax(x)
   */
  softmax(x: string, axis = -1): string {
    return this.op("Softmax", [x], { axis });
  }

  /**
   * Layer normalisation over the last axis, as `torch.nn.LayerNorm`: native
   * LayerNormalization from opset 17, decomposed (biased variance) below.
   * @param x input
   * @param weight scale [hidden]
   * @param bias shift [hidden] (optional)
   * @param eps epsilon added to the variance
   * @returns the normalised value
   */
  layerNorm(x: string, weight: string, bias: string | undefined, eps: number): string {
    if (this.opset >= 17) {
      return this.op("LayerNormalization", bias ? [x, weight, bias] : [x, weight], {
        axis: -1,
        epsilon: new FloatAttr(eps),
      });
    }
    const mean = this.op("ReduceMean", [x], { axes: [-1], keepdims: 1 });
    const d = this.sub(x, mean);
    const variance = this.op("ReduceMean", [this.mul(d, d)], { axes: [-1], keepdims: 1 });
    const normed = this.div(d, this.sqrt(this.add(variance, this.constF32(eps))));
    const scaled = this.mul(normed, weight);
    return bias ? this.add(scaled, bias) : scaled;
  }

  // ---- shapes --------------------------------------------------------------------------------

  /**
   * Reshape; a number[] shape becomes an int64 constant (0 copies a dim, -1 infers one).
   * @param x input
   * @param shape int64 shape value or literal shape
   * @returns the reshaped value
   */
  reshape(x: string, shape: string | readonly number[]): string {
    return this.op("Reshape", [x, typeof shape === "string" ? shape : this.constI64(shape)]);
  }
  /** @param x input @param perm axis permutation @returns the transposed value */
  transpose(x: string, perm: readonly number[]): string {
    return this.op("Transpose", [x], { perm });
  }
  /** @param xs inputs @param axis concatenation axis @returns the concatenation */
  concat(xs: readonly string[], axis: number): string {
    return this.op("Concat", xs, { axis });
  }

  /**
   * Splits along an axis into pieces of the given sizes.
   * @param x input
   * @param axis the axis
   * @param sizes piece sizes (must sum to the axis length)
   * @returns one value per piece
   */
  split(x: string, axis: number, sizes: readonly number[]): string[] {
    return this.node("Split", [x, this.constI64(sizes)], { axis }, { outputs: sizes.length });
  }

  /**
   * Slice with literal or value bounds.
   * @param x input
   * @param starts start indices (literal or int64 value)
   * @param ends end indices (literal or int64 value)
   * @param axes axes (literal)
   * @param steps steps (literal, default 1)
   * @returns the slice
   */
  slice(
    x: string,
    starts: string | readonly number[],
    ends: string | readonly number[],
    axes: readonly number[],
    steps?: readonly number[],
  ): string {
    const v = (s: string | readonly number[]): string =>
      typeof s === "string" ? s : this.constI64(s);
    const ins = [x, v(starts), v(ends), this.constI64(axes)];
    if (steps) ins.push(this.constI64(steps));
    return this.op("Slice", ins);
  }

  /** @param data table @param indices int64 indices @param axis axis (default 0) @returns gathered rows */
  gather(data: string, indices: string, axis = 0): string {
    return this.op("Gather", [data, indices], { axis });
  }
  /** @param x input @param axes axes to insert @returns x with size-1 axes */
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op("Unsqueeze", [x, this.constI64(axes)]);
  }
  /** @param x input @param axes size-1 axes to remove @returns x without them */
  squeeze(x: string, axes: readonly number[]): string {
    return this.op("Squeeze", [x, this.constI64(axes)]);
  }
  /** @param x input @param shape int64 target shape (value or literal) @returns x broadcast */
  expand(x: string, shape: string | readonly number[]): string {
    return this.op("Expand", [x, typeof shape === "string" ? shape : this.constI64(shape)]);
  }

  /**
   * The shape of x (or the [start, end) part of it) as a 1-D int64 value.
   * @param x input
   * @param start first axis (default 0)
   * @param end one past the last axis (default: rank)
   * @returns int64 [end - start]
   */
  shape(x: string, start?: number, end?: number): string {
    return this.memo(
      `shape|${x}|${start}|${end}`,
      () =>
        this.opset >= 15
          ? this.op("Shape", [x], { start, end })
          : this.slice(this.op("Shape", [x]), [start ?? 0], [end ?? 2 ** 53 - 1], [0]),
    );
  }

  /**
   * One dimension of x as an int64 [1] value (cached per value and axis).
   * @param x input
   * @param axis the axis (non-negative or negative)
   * @returns int64 [1]
   */
  dim(x: string, axis: number): string {
    return this.shape(x, axis, axis === -1 ? undefined : axis + 1);
  }

  /** @param start scalar @param limit scalar @param delta scalar @returns 1-D range, same type */
  range(start: string, limit: string, delta: string): string {
    return this.op("Range", [start, limit, delta]);
  }
  /** @param shape int64 shape value @param value float32 fill value @returns a filled tensor */
  constantOfShapeF32(shape: string, value: number): string {
    const bytes = bytesOf(Float32Array.of(value));
    return this.op("ConstantOfShape", [shape], { value: new TensorAttr("float32", [1], bytes) });
  }
  /** @param x input @param axis axis as int value @returns inclusive cumulative sum */
  cumSum(x: string, axis: string): string {
    return this.op("CumSum", [x, axis]);
  }
  /** @param x input [..., N, M] @param upper keep upper (true) or lower triangle @param k diagonal offset value @returns triangle */
  trilu(x: string, upper: boolean, k?: string): string {
    return this.op("Trilu", k ? [x, k] : [x], { upper: upper ? 1 : 0 });
  }
}
