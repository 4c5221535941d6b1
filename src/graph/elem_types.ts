/**
 * Element-type inference for ONNX tensors: exports often carry no value_info, yet a graph cut
 * needs the type of every tensor that becomes a new input or output. Rules cover the standard
 * operators (Shape is int64, Cast follows `to`, comparisons are bool, the rest follow their
 * first typed input), which is what ONNX type inference does for them.
 * @module
 */

import type { OnnxAttribute, OnnxGraph, OnnxNode } from "./onnx_io.ts";
import { ELEM_TYPE, toInt } from "./onnx_io.ts";

const INT64_OPS = new Set([
  "Shape",
  "Size",
  "ArgMax",
  "ArgMin",
  "NonZero",
  "NonMaxSuppression",
  "TopK", // output 1; output 0 handled below
]);
const BOOL_OPS = new Set([
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
  "Not",
  "And",
  "Or",
  "Xor",
  "IsNaN",
  "IsInf",
]);

/**
 * Element types (TensorProto.DataType codes) of the tensors of a graph: its inputs,
 * initializers, value_info, outputs, and every node output whose type the rules determine.
 * @param graph the graph (a top-level graph; subgraph outputs of If/Loop follow the branch)
 * @param outer types known from an enclosing scope
 * @returns name -> element type
 */
export function inferElemTypes(
  graph: OnnxGraph,
  outer: ReadonlyMap<string, number> = new Map(),
): Map<string, number> {
  const types = new Map<string, number>(outer);
  const declare = (name: string | null | undefined, t: number | null | undefined): void => {
    if (name && t) types.set(name, t);
  };
  for (const v of graph.input ?? []) declare(v.name, v.type?.tensorType?.elemType);
  for (const t of graph.initializer ?? []) declare(t.name, t.dataType);
  for (const v of [...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    declare(v.name, v.type?.tensorType?.elemType);
  }
  for (const n of graph.node ?? []) {
    const outs = n.output ?? [];
    const known = outs.map((o) => types.get(o));
    const inferred = nodeOutputTypes(n, types);
    outs.forEach((o, i) => {
      if (!known[i] && inferred[i]) types.set(o, inferred[i]);
    });
  }
  return types;
}

/**
 * The element types one node produces, given the types of what it reads.
 * @param n the node
 * @param types known types
 * @returns one entry per output, 0 where unknown
 */
function nodeOutputTypes(n: OnnxNode, types: ReadonlyMap<string, number>): number[] {
  const op = n.opType ?? "";
  const outs = n.output ?? [];
  const ins = n.input ?? [];
  const attr = (name: string): OnnxAttribute | undefined =>
    (n.attribute ?? []).find((a) => a.name === name);
  const firstTyped = (): number => {
    for (const i of ins) if (i && types.get(i)) return types.get(i)!;
    return 0;
  };
  const all = (t: number): number[] => outs.map(() => t);
  if (op === "TopK") return [firstTyped(), ELEM_TYPE.INT64];
  if (op === "MaxPool") return [firstTyped(), ELEM_TYPE.INT64];
  if (INT64_OPS.has(op)) return all(ELEM_TYPE.INT64);
  if (BOOL_OPS.has(op)) return all(ELEM_TYPE.BOOL);
  if (op === "Cast") return all(toInt(attr("to")?.i));
  if (op === "Constant") {
    const a = (n.attribute ?? [])[0];
    if (a?.t) return all(a.t.dataType ?? 0);
    if (a?.name === "value_int" || a?.name === "value_ints") return all(ELEM_TYPE.INT64);
    if (a?.name === "value_float" || a?.name === "value_floats") return all(ELEM_TYPE.FLOAT);
    return all(0);
  }
  if (op === "ConstantOfShape") return all(attr("value")?.t?.dataType ?? ELEM_TYPE.FLOAT);
  if (op === "EyeLike" || op === "RandomNormalLike" || op === "RandomUniformLike") {
    const dt = toInt(attr("dtype")?.i);
    return all(dt || firstTyped());
  }
  if (op === "RandomNormal" || op === "RandomUniform") {
    return all(toInt(attr("dtype")?.i) || ELEM_TYPE.FLOAT);
  }
  if (op === "Where") return all(types.get(ins[1]) ?? types.get(ins[2]) ?? 0);
  if (op === "If") {
    const branch = attr("then_branch")?.g;
    const inner = branch ? inferElemTypes(branch, types) : new Map<string, number>();
    return (branch?.output ?? []).map((o) => inner.get(o.name ?? "") ?? 0);
  }
  return all(firstTyped());
}
