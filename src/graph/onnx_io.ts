/**
 * Decoding and encoding of ONNX `ModelProto` bytes (npm `onnx-proto` 8.0.1, protobufjs-generated).
 *
 * Memory: decoding a `Uint8Array` gives initializers whose `rawData` are views into the input
 * bytes (protobufjs reads `bytes` fields with `subarray`), so a 500 MB decoder is not copied on
 * decode; the input buffer stays alive as long as the decoded model does. Graph transformations
 * reuse those views, so every model derived from it shares the same weight bytes until encoded.
 * @module
 */

import onnxProto, { type onnx } from "./onnx_proto.ts";
import { ModelLoadError } from "../errors.ts";

/** A decoded ONNX model (protobufjs message; nested fields are plain interfaces). */
export type OnnxModel = onnx.IModelProto;
/** An ONNX graph: nodes, inputs, outputs, initializers, value_info. */
export type OnnxGraph = onnx.IGraphProto;
/** One ONNX node. */
export type OnnxNode = onnx.INodeProto;
/** One ONNX tensor (initializer or Constant value). */
export type OnnxTensor = onnx.ITensorProto;
/** A named, typed value: a graph input, output or value_info entry. */
export type OnnxValueInfo = onnx.IValueInfoProto;
/** One node attribute. */
export type OnnxAttribute = onnx.IAttributeProto;

/** The generated protobuf classes (for building nodes, tensors and value infos). */
export const onnxProtos: typeof onnx = onnxProto.onnx;

/** ONNX TensorProto.DataType codes used by the graph code. */
export const ELEM_TYPE = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;

/** 64-bit integers as protobufjs decodes them (`long` objects) or plain numbers. */
export type IntLike = number | { toNumber(): number } | null | undefined;

/**
 * A protobuf int64 as a JavaScript number.
 * @param v a number, a `Long`, or null/undefined (read as 0)
 * @returns the value as a number
 */
export function toInt(v: IntLike): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

/**
 * Decodes ONNX model bytes without copying the initializers' raw data.
 * @param bytes the `.onnx` file's bytes
 * @param source what the bytes are, for error messages (a path or URL)
 * @returns the decoded model
 * @throws ModelLoadError when the bytes are not an ONNX model
 */
export function decodeModel(bytes: Uint8Array, source = "ONNX model bytes"): onnx.ModelProto {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`decodeModel() needs a Uint8Array for ${source}, got ${typeof bytes}`);
  }
  let model: onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelLoadError(
      `Cannot load ${source}: ${bytes.length} bytes are not an ONNX model (${
        (e as Error).message
      })`,
      { cause: e },
    );
  }
  const ir = toInt(model.irVersion);
  const graph = model.graph;
  // Protobuf decodes many non-ONNX byte strings "successfully" into an empty message; a real
  // model always declares an IR version, an opset and a graph with outputs.
  if (
    ir < 1 || ir > 64 || !graph || (graph.output ?? []).length === 0 ||
    model.opsetImport.length === 0
  ) {
    throw new ModelLoadError(
      `Cannot load ${source}: ${bytes.length} bytes are not an ONNX model ` +
        `(ir_version ${ir}, ${graph ? (graph.output ?? []).length : "no"} graph outputs, ` +
        `${model.opsetImport.length} opset imports)`,
    );
  }
  return model;
}

/**
 * Encodes a model to `.onnx` bytes (one copy of every initializer into the output buffer).
 * @param model the model to encode
 * @returns its protobuf bytes, ready for an inference session
 */
export function encodeModel(model: OnnxModel): Uint8Array {
  return onnxProto.onnx.ModelProto.encode(model).finish();
}
