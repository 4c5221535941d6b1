/**
 * The core of the ONNX graph builder (see builder.ts for the conventions): value and node names
 * with scopes, inputs, outputs, initializers and deduplicated constants, generic nodes, and the
 * encoding to an `onnx.ModelProto` over npm `onnx-proto`. builder.ts adds the operator helpers.
 * @module
 */

import onnxProto from "./onnx_proto.ts";
import {
  attribute,
  type AttrValue,
  bytesOf,
  type Dim,
  ELEM,
  type ElemType,
  type GraphBuilderOptions,
  type NodeOptions,
  valueInfo,
} from "./graph_values.ts";

const { onnx } = onnxProto;

/** Names, inputs, outputs, initializers, nodes and encoding of one ONNX graph. */
export class GraphCore {
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

  /**
   * A value made once per key (shapes of a value, constants): later calls return the same name.
   * @param key what the value is
   * @param make builds it the first time
   * @returns its name
   */
  protected memo(key: string, make: () => string): string {
    const hit = this.#consts.get(key);
    if (hit) return hit;
    const out = make();
    this.#consts.set(key, out);
    return out;
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
