/**
 * The values the ONNX graph builder speaks in: element types, dimensions, attribute values and
 * their encoding to onnx-proto messages (value infos, attributes). Used by graph_core.ts.
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

/** A graph usable as a GRAPH attribute (an If branch): a GraphBuilder. */
export interface SubGraph {
  /** The graph message. */
  toGraph(): InstanceType<typeof onnx.GraphProto>;
}

/** Attribute values a node accepts; a SubGraph becomes a GRAPH attribute (If branches). */
export type AttrValue =
  | TensorAttr
  | number
  | string
  | readonly number[]
  | readonly string[]
  | FloatAttr
  | FloatsAttr
  | SubGraph;

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

/** ONNX element type codes and sizes. */
export const ELEM: Record<ElemType, { code: number; bytes: number }> = {
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

/**
 * Byte view of a typed array (no copy).
 * @param a the array
 * @returns a Uint8Array over the same memory
 */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A graph input or output declaration.
 * @param name value name
 * @param type element type
 * @param dims dimensions (numbers or symbolic names)
 * @returns the ValueInfoProto
 */
export function valueInfo(
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

/**
 * A node attribute from a plain value (see AttrValue).
 * @param name attribute name
 * @param v its value
 * @returns the AttributeProto
 */
export function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
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
  if (typeof v === "object" && "toGraph" in v) {
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
