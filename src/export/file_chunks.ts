/**
 * Model files as lists of chunks whose large parts are the weights' own bytes, so that a 500 MB
 * model can be written without assembling (and without the host copying) a second 500 MB buffer:
 * `writeFileAtomic` takes the chunks one by one.
 *
 * - `onnxChunks`: an ONNX ModelProto, encoded as protobuf allows, in pieces: the model's fields
 *   without its graph, then the graph (field 7) as its fields without initializers followed by
 *   each initializer (GraphProto field 5) whose `raw_data` (TensorProto field 9) is passed
 *   through. Protobuf readers accept fields in any order and concatenate repeated ones, so this
 *   decodes to the same model as `ModelProto.encode`.
 * - `safetensorsChunks`: the bytes `writeSafetensors` (src/weights) produces, as header +
 *   tensor data views; the tensor order is taken from `writeSafetensors` itself (run on empty
 *   stand-ins), so the two layouts cannot drift apart.
 * @module
 */

import { type OnnxModel, onnxProtos } from "../graph/onnx_io.ts";
import { readSafetensors, writeSafetensors } from "../weights/safetensors.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Tag + length prefix of a length-delimited protobuf field. */
function prefix(field: number, length: number): Uint8Array {
  return Uint8Array.from([(field << 3) | 2, ...varint(length)]);
}

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

/**
 * An ONNX model as chunks; initializers' raw bytes are passed through, not copied.
 * @param model the model (e.g. `GraphBuilder.toModel()`)
 * @returns chunks whose concatenation is a valid `.onnx` file
 */
export function onnxChunks(model: OnnxModel): Uint8Array[] {
  const graph = model.graph;
  const head = onnxProtos.ModelProto.encode({ ...model, graph: undefined }).finish();
  if (!graph) return [head];
  const parts: Uint8Array[] = [
    onnxProtos.GraphProto.encode({ ...graph, initializer: [] }).finish(),
  ];
  for (const t of graph.initializer ?? []) {
    const raw = t.rawData && t.rawData.byteLength ? t.rawData : undefined;
    const meta = onnxProtos.TensorProto.encode({ ...t, rawData: undefined }).finish();
    const rawHead = raw ? prefix(TENSOR_RAW_DATA, raw.byteLength) : new Uint8Array(0);
    const size = meta.byteLength + rawHead.byteLength + (raw?.byteLength ?? 0);
    parts.push(prefix(GRAPH_INITIALIZER, size), meta);
    if (raw) parts.push(rawHead, raw);
  }
  const graphSize = parts.reduce((n, p) => n + p.byteLength, 0);
  return [head, prefix(MODEL_GRAPH, graphSize), ...parts];
}

/**
 * A safetensors file as chunks: the same bytes as `writeSafetensors(map, metadata)`, with each
 * tensor's data passed through.
 * @param map tensors by name
 * @param metadata the `__metadata__` strings, or null
 * @returns the header chunk followed by the tensors' data, in file order
 */
export function safetensorsChunks(
  map: ReadonlyMap<string, WeightTensor>,
  metadata: Record<string, string> | null,
): Uint8Array[] {
  // The writer's own order, from a file of empty stand-ins (same names and dtypes).
  const standIns = new Map<string, WeightTensor>();
  for (const [name, t] of map) {
    standIns.set(name, { dtype: t.dtype, shape: [0], data: new Uint8Array(0) });
  }
  const probe = readSafetensors(writeSafetensors(standIns, metadata));
  const order = [...probe.tensors.keys()];
  const parts: string[] = [];
  if (metadata) {
    const body = Object.entries(metadata).map(([k, v]) =>
      `${JSON.stringify(k)}:${JSON.stringify(v)}`
    );
    parts.push(`"__metadata__":{${body.join(",")}}`);
  }
  let offset = 0;
  const data: Uint8Array[] = [];
  for (const name of order) {
    const t = map.get(name)!;
    const end = offset + t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],` +
        `"data_offsets":[${offset},${end}]}`,
    );
    data.push(t.data);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...data];
}

/**
 * Chunks as the async iterable `writeFileAtomic` takes.
 * @param chunks the chunks
 * @returns an iterable yielding them in order
 */
export async function* yieldChunks(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const c of chunks) yield c;
}
