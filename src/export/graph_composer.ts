/**
 * Composes ONNX graphs out of other graphs, at the protobuf level: the nodes of a built graph are
 * copied into a new graph (an `If` branch or a whole model) under a name prefix, its inputs bound
 * to values of the new graph and its outputs renamed, while its initializers go into one pool
 * shared by everything composed into the same model. An initializer used by two spliced graphs
 * (a decoder step in both branches of a merged decoder) is stored once: the checkpoint's weights
 * appear once in the file, as in Optimum's merged exports, and If branches read them from the
 * outer scope.
 *
 * Memory: nodes are shallow copies (attributes shared) and initializers are the source graphs'
 * own messages, so nothing is copied until the composed model is encoded.
 * @module
 */

import { type Dim, type ElemType, elemTypeCode } from "../graph/builder.ts";
import {
  type OnnxGraph,
  type OnnxNode,
  onnxProtos,
  type OnnxTensor,
  type OnnxValueInfo,
} from "../graph/onnx_io.ts";

/** How a graph is spliced in. */
export interface SpliceOptions {
  /** Prefix of the names made for the graph's nodes and values (e.g. "no_past/step/"). */
  prefix: string;
  /** Every input of the spliced graph -> the value of the new graph that feeds it. */
  inputs: Readonly<Record<string, string>>;
  /** Outputs (or any node output) of the spliced graph -> the exact name to give it. */
  outputs?: Readonly<Record<string, string>>;
}

/** Nodes of a spliced graph and where its outputs ended up. */
export interface Spliced {
  /** The renamed nodes, in their original (topological) order. */
  nodes: OnnxNode[];
  /** Source output name -> name in the new graph. */
  outputs: Record<string, string>;
}

/**
 * A value info (graph input or output declaration).
 * @param name the value's name
 * @param type element type
 * @param dims shape; strings are symbolic dimensions
 * @returns the ValueInfoProto
 */
export function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): OnnxValueInfo {
  return onnxProtos.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: elemTypeCode(type),
        shape: { dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  });
}

function sameBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  if (a.byteLength !== b.byteLength) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameTensor(a: OnnxTensor, b: OnnxTensor): boolean {
  if (a === b) return true;
  const da = (a.dims ?? []).map(Number), db = (b.dims ?? []).map(Number);
  return a.dataType === b.dataType && da.join(",") === db.join(",") &&
    sameBytes(a.rawData ?? undefined, b.rawData ?? undefined) &&
    (a.floatData ?? []).join(",") === (b.floatData ?? []).join(",") &&
    (a.int64Data ?? []).map(String).join(",") === (b.int64Data ?? []).map(String).join(",");
}

/** Splices graphs into one model's graphs, pooling their initializers. */
export class GraphComposer {
  readonly #pool = new Map<string, OnnxTensor>();
  readonly #reserved: Set<string>;

  /**
   * @param reserved names an initializer must not take (the model's inputs and outputs)
   */
  constructor(reserved: Iterable<string> = []) {
    this.#reserved = new Set(reserved);
  }

  /** The pooled initializers, for the model's top-level graph. */
  get initializers(): OnnxTensor[] {
    return [...this.#pool.values()];
  }

  /** Pools an initializer; returns the name it is known by in the model. */
  #pooled(t: OnnxTensor, prefix: string): string {
    const own = t.name ?? "";
    for (let name = own, n = 0;; name = `${prefix}${own}${n ? `_${n}` : ""}`, n++) {
      if (this.#reserved.has(name)) continue;
      const held = this.#pool.get(name);
      if (!held) {
        this.#pool.set(name, name === own ? t : onnxProtos.TensorProto.create({ ...t, name }));
        return name;
      }
      if (sameTensor(held, t)) return name;
    }
  }

  /**
   * Copies a graph's nodes under a prefix, binding its inputs and naming its outputs.
   * @param src the graph (e.g. `GraphBuilder.toGraph()`)
   * @param options prefix, input bindings, output names
   * @returns the renamed nodes and the new names of the graph's outputs
   * @throws RangeError when an input is left unbound or a node reads an unknown value
   */
  splice(src: OnnxGraph, options: SpliceOptions): Spliced {
    const { prefix } = options;
    const names = new Map<string, string>();
    for (const input of src.input ?? []) {
      const bound = options.inputs[input.name ?? ""];
      if (bound === undefined) {
        throw new RangeError(`splice of graph ${src.name}: input "${input.name}" is not bound`);
      }
      names.set(input.name ?? "", bound);
    }
    for (const t of src.initializer ?? []) names.set(t.name ?? "", this.#pooled(t, prefix));
    const rename = options.outputs ?? {};
    for (const node of src.node ?? []) {
      for (const o of node.output ?? []) {
        if (o !== "") names.set(o, rename[o] ?? `${prefix}${o}`);
      }
    }
    const nodes = (src.node ?? []).map((node) => {
      for (const a of node.attribute ?? []) {
        if (a.g || (a.graphs ?? []).length) {
          throw new RangeError(
            `splice of graph ${src.name}: node ${node.name} (${node.opType}) has a subgraph`,
          );
        }
      }
      const input = (node.input ?? []).map((i) => {
        if (i === "") return "";
        const n = names.get(i);
        if (n === undefined) {
          throw new RangeError(
            `splice of graph ${src.name}: node ${node.name} reads "${i}", which the graph never defines`,
          );
        }
        return n;
      });
      return onnxProtos.NodeProto.create({
        ...node,
        name: `${prefix}${node.name ?? node.opType}`,
        input,
        output: (node.output ?? []).map((o) => (o === "" ? "" : names.get(o)!)),
      });
    });
    const outputs: Record<string, string> = {};
    for (const o of src.output ?? []) outputs[o.name ?? ""] = names.get(o.name ?? "") ?? "";
    return { nodes, outputs };
  }
}
