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

import onnxProto from "./onnx_proto.ts";

const { onnx } = onnxProto;

/** Element types the builder writes. */
export type ElemType = "float32" | "float16" | "int64" | "int32" | "bool" | "uint8" | "int8";

/** A dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

/** A float attribute (plain numbers that are integers become INT attributes). */
export class FloatAttr {
  /** @param value the float value */
  constructor(readonly value: number) {}
}

/** Floats attribute (a plain number[] becomes INTS). */
export class FloatsAttr {
  /** @param value the float values */
  constructor(readonly value: readonly number[]) {}
}

/** A tensor attribute (ConstantOfShape's value, Constant's value). */
export class TensorAttr {
  /**
   * @param type element type
   * @param dims shape
   * @param bytes little-endian raw data
   */
  constructor(
    readonly type: ElemType,
    readonly dims: readonly number[],
    readonly bytes: Uint8Array,
  ) {}
}

/** Attribute values a node accepts; a GraphBuilder becomes a GRAPH attribute (If branches). */
export type AttrValue =
  | TensorAttr
  | number
  | string
  | readonly number[]
  | readonly string[]
  | FloatAttr
  | FloatsAttr
  | GraphBuilder;

/** Options of a GraphBuilder. */
export interface GraphBuilderOptions {
  /** Graph name (default "vedge"). */
  name?: string;
  /** Default-domain opset version (default 17). */
  opset?: number;
}

/** Options of `node()`. */
export interface NodeOptions {
  /** Output count (fresh names) or explicit output names; default one fresh output. */
  outputs?: number | readonly string[];
  /** Node name (default: a fresh name from the op type). */
  name?: string;
  /** Operator domain ("" = ai.onnx, "com.microsoft", ...). */
  domain?: string;
}

const ELEM: Record<ElemType, { code: number; bytes: number }> = {
  float32: { code: onnx.TensorProto.DataType.FLOAT, bytes: 4 },
  float16: { code: onnx.TensorProto.DataType.FLOAT16, bytes: 2 },
  int64: { code: onnx.TensorProto.DataType.INT64, bytes: 8 },
  int32: { code: onnx.TensorProto.DataType.INT32, bytes: 4 },
  bool: { code: onnx.TensorProto.DataType.BOOL, bytes: 1 },
  uint8: { code: onnx.TensorProto.DataType.UINT8, bytes: 1 },
  int8: { code: onnx.TensorProto.DataType.INT8, bytes: 1 },
};

/**
 * ONNX data-type code of an element type.
 * @param type the element type
 * @returns its `TensorProto.DataType` number
 */
export function elemTypeCode(type: ElemType): number {
  return ELEM[type].code;
}

/** Largest finite float32, as PyTorch's `torch.finfo(torch.float32).max`. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Builds one ONNX graph (and its model); see the module doc for the conventions. */
export class GraphBuilder {
  /** Default-domain opset version. */
  readonly opset: number;
  /** Graph name. */
  readonly name: string;
  readonly #nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly #inits: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly #inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #names = new Set<string>();
  readonly #counters = new Map<string, number>();
  readonly #consts = new Map<string, string>();
  readonly #domains = new Map<string, number>();
  readonly #scope: string[] = [];

  /** @param options graph name and opset */
  constructor(options: GraphBuilderOptions = {}) {
    this.name = options.name ?? "vedge";
    this.opset = options.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < 13) {
      throw new RangeError(`GraphBuilder needs opset >= 13, got ${options.opset}`);
    }
  }

  // ---- names -------------------------------------------------------------------------------

  /**
   * A fresh value or node name, prefixed by the current scope.
   * @param base readable stem, e.g. "q"
   * @returns a name used nowhere else in this graph
   */
  unique(base: string): string {
    return this.#claim(this.#fresh(base));
  }

  #fresh(base: string): string {
    const stem = this.#scope.length ? `${this.#scope.join("/")}/${base}` : base;
    let n = this.#counters.get(stem) ?? 0;
    let name = n === 0 ? stem : `${stem}_${n}`;
    while (this.#names.has(name)) name = `${stem}_${++n}`;
    this.#counters.set(stem, n + 1);
    return name;
  }

  /**
   * Runs `fn` with `prefix` appended to the name scope (names become "prefix/...").
   * @param prefix scope segment, e.g. "layer.0"
   * @param fn code that adds nodes
   * @returns what `fn` returns
   */
  withScope<T>(prefix: string, fn: () => T): T {
    this.#scope.push(prefix);
    try {
      return fn();
    } finally {
      this.#scope.pop();
    }
  }

  #claim(name: string): string {
    if (this.#names.has(name)) {
      throw new RangeError(`name "${name}" is already used in graph ${this.name}`);
    }
    this.#names.add(name);
    return name;
  }

  /**
   * Whether a name is already taken (input, initializer, node output or node name).
   * @param name the name
   * @returns true when taken
   */
  has(name: string): boolean {
    return this.#names.has(name);
  }

  // ---- graph inputs, outputs, initializers --------------------------------------------------

  /**
   * Declares a graph input.
   * @param name input name (exact)
   * @param type element type
   * @param dims shape; strings are symbolic dimensions
   * @returns the input's name
   */
  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), type, dims));
    return name;
  }

  /**
   * Declares a graph output named `name` holding `value` (an Identity is added when the names
   * differ).
   * @param name output name (exact)
   * @param value the value to expose
   * @param type element type
   * @param dims shape; strings are symbolic dimensions
   */
  output(name: string, value: string, type: ElemType, dims: readonly Dim[]): void {
    if (value !== name) this.node("Identity", [value], {}, { outputs: [name] });
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /**
   * Adds an initializer from raw little-endian bytes, referenced without copying.
   * @param name initializer name (exact, e.g. the checkpoint's weight name)
   * @param type element type
   * @param dims shape
   * @param bytes row-major little-endian data, `product(dims) * size(type)` bytes
   * @returns the initializer's name
   */
  initializer(name: string, type: ElemType, dims: readonly number[], bytes: Uint8Array): string {
    const want = dims.reduce((a, d) => a * d, 1) * ELEM[type].bytes;
    if (bytes.byteLength !== want) {
      throw new RangeError(
        `initializer ${name} [${dims}] ${type} needs ${want} bytes, got ${bytes.byteLength}`,
      );
    }
    this.#inits.push(
      onnx.TensorProto.create({
        name: this.#claim(name),
        dataType: ELEM[type].code,
        dims: [...dims],
        rawData: bytes,
      }),
    );
    return name;
  }

  /**
   * Adds a float32 initializer, referencing `data`'s memory without copying.
   * @param name initializer name (exact)
   * @param data values, row-major
   * @param dims shape (default [data.length])
   * @returns the initializer's name
   */
  initializerF32(
    name: string,
    data: Float32Array,
    dims: readonly number[] = [data.length],
  ): string {
    return this.initializer(name, "float32", dims, bytesOf(data));
  }

  /**
   * Adds an int64 initializer.
   * @param name initializer name (exact)
   * @param data values
   * @param dims shape (default [data.length])
   * @returns the initializer's name
   */
  initializerI64(
    name: string,
    data: readonly number[] | BigInt64Array,
    dims: readonly number[] = [data.length],
  ): string {
    const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
    return this.initializer(name, "int64", dims, bytesOf(arr));
  }

  /**
   * A small float32 constant (an initializer, shared between identical requests).
   * @param values the values
   * @param dims shape (default: scalar for one value, else 1-D)
   * @returns its name
   */
  constF32(values: number | readonly number[], dims?: readonly number[]): string {
    const vals = typeof values === "number" ? [values] : values;
    const shape = dims ?? (typeof values === "number" ? [] : [vals.length]);
    const key = `f32|${shape}|${vals.join(",")}`;
    const hit = this.#consts.get(key);
    if (hit) return hit;
    const name = this.initializerF32(this.#constName("const_f"), Float32Array.from(vals), shape);
    this.#consts.set(key, name);
    return name;
  }

  /**
   * A small int64 constant (shapes, axes, indices), shared between identical requests.
   * @param values the values
   * @param dims shape (default: scalar for a number, else 1-D)
   * @returns its name
   */
  constI64(values: number | readonly number[], dims?: readonly number[]): string {
    const vals = typeof values === "number" ? [values] : values;
    const shape = dims ?? (typeof values === "number" ? [] : [vals.length]);
    const key = `i64|${shape}|${vals.join(",")}`;
    const hit = this.#consts.get(key);
    if (hit) return hit;
    const name = this.initializerI64(this.#constName("const_i"), vals, shape);
    this.#consts.set(key, name);
    return name;
  }

  #constName(stem: string): string {
    // Constants live outside any scope so that they are shared graph-wide.
    const saved = this.#scope.splice(0);
    try {
      return this.#fresh(stem);
    } finally {
      this.#scope.push(...saved);
    }
  }

  // ---- nodes ---------------------------------------------------------------------------------

  /**
   * Adds a node of any operator.
   * @param opType operator name, e.g. "MatMul"
   * @param inputs input value names ("" for an omitted optional input)
   * @param attrs attributes (integers -> INT, FloatAttr -> FLOAT, strings, lists, graphs)
   * @param options outputs, node name, domain
   * @returns the output names
   */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
    options: NodeOptions = {},
  ): string[] {
    const outs = typeof options.outputs === "object"
      ? options.outputs.map((o) => this.#claim(o))
      : Array.from({ length: options.outputs ?? 1 }, () => this.unique(opType.toLowerCase()));
    const domain = options.domain ?? "";
    if (domain !== "" && !this.#domains.has(domain)) this.#domains.set(domain, 1);
    this.#nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        name: options.name ? this.#claim(options.name) : this.unique(`${opType}_node`),
        input: [...inputs],
        output: outs,
        attribute: Object.entries(attrs)
          .filter((e): e is [string, AttrValue] => e[1] !== undefined)
          .map(([k, v]) => attribute(k, v)),
      }),
    );
    return outs;
  }

  /**
   * Adds a single-output node.
   * @param opType operator name
   * @param inputs input value names
   * @param attrs attributes
   * @returns the output name
   */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue | undefined> = {},
  ): string {
    return this.node(opType, inputs, attrs)[0];
  }

  /**
   * Declares that nodes use an operator domain at a version (e.g. "com.microsoft", 1).
   * @param domain domain name
   * @param version opset version
   */
  useDomain(domain: string, version: number): void {
    this.#domains.set(domain, version);
  }

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
    return this.op("Cast", [x], { to: ELEM[to].code });
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
    const key = `shape|${x}|${start}|${end}`;
    const hit = this.#consts.get(key);
    if (hit) return hit;
    const out = this.opset >= 15
      ? this.op("Shape", [x], { start, end })
      : this.slice(this.op("Shape", [x]), [start ?? 0], [end ?? 2 ** 53 - 1], [0]);
    this.#consts.set(key, out);
    return out;
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

  // ---- encoding --------------------------------------------------------------------------

  /**
   * The graph as an `onnx.GraphProto` (used for If branches and by `toModel`).
   * @returns the graph message (shares initializer bytes with the builder)
   */
  toGraph(): InstanceType<typeof onnx.GraphProto> {
    return onnx.GraphProto.create({
      name: this.name,
      node: this.#nodes,
      initializer: this.#inits,
      input: this.#inputs,
      output: this.#outputs,
    });
  }

  /**
   * The model message: IR version 8, the default opset plus any declared domains.
   * @returns the `onnx.ModelProto`
   */
  toModel(): InstanceType<typeof onnx.ModelProto> {
    const opsetImport = [{ domain: "", version: this.opset }];
    for (const [domain, version] of this.#domains) opsetImport.push({ domain, version });
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: "vedge",
      opsetImport: opsetImport.map((o) => onnx.OperatorSetIdProto.create(o)),
      graph: this.toGraph(),
    });
  }

  /**
   * Encodes the model: the one copy of the initializer bytes.
   * @returns the serialized ONNX model
   */
  toBytes(): Uint8Array {
    if (this.#outputs.length === 0) throw new RangeError(`graph ${this.name} has no outputs`);
    return onnx.ModelProto.encode(this.toModel()).finish();
  }
}

/**
 * Byte view of a typed array (no copy).
 * @param a the array
 * @returns a Uint8Array over the same memory
 */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(
  name: string,
  type: ElemType,
  dims: readonly Dim[],
): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[type].code,
        shape: { dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  });
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof FloatAttr) {
    return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.value });
  }
  if (v instanceof FloatsAttr) {
    return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: [...v.value] });
  }
  if (v instanceof TensorAttr) {
    const t = onnx.TensorProto.create({
      dataType: ELEM[v.type].code,
      dims: [...v.dims],
      rawData: v.bytes,
    });
    return onnx.AttributeProto.create({ name, type: T.TENSOR, t });
  }
  if (v instanceof GraphBuilder) {
    return onnx.AttributeProto.create({ name, type: T.GRAPH, g: v.toGraph() });
  }
  if (typeof v === "string") {
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  }
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? onnx.AttributeProto.create({ name, type: T.INT, i: v })
      : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  }
  if (v.length > 0 && typeof v[0] === "string") {
    const enc = new TextEncoder();
    return onnx.AttributeProto.create({
      name,
      type: T.STRINGS,
      strings: (v as readonly string[]).map((s) => enc.encode(s)),
    });
  }
  const nums = v as readonly number[];
  if (!nums.every(Number.isInteger)) {
    throw new TypeError(`attribute ${name}: non-integer list ${nums}; wrap floats in FloatsAttr`);
  }
  return onnx.AttributeProto.create({ name, type: T.INTS, ints: [...nums] });
}
