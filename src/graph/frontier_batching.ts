/**
 * Feeding per-image tensors to a per-row step graph. After partitioning, the frontier tensors
 * (cross-attention K/V, masks) have one row per IMAGE while the step runs one row per beam
 * (rows = images * beams, image-major). Two questions, answered statically:
 *
 * 1. {@link analyseFrontierBatching}: does the step graph broadcast a frontier tensor of batch 1
 *    over any number of rows? True when every use reaches a numpy-broadcasting op (MatMul, Add,
 *    Mul, ...) through batch-preserving ops (Transpose keeping axis 0, Cast, Unsqueeze/Squeeze
 *    of other axes), and `Shape` of it is only indexed away from axis 0. GPT2's partitioned step
 *    qualifies; BART/TrOCR-style attention, which reshapes K/V to (batch * heads, -1, dim) with
 *    the batch read from the step's own inputs, does not (that Reshape fails, or silently mixes
 *    rows when the encoder length divides evenly).
 * 2. {@link broadcastFrontierOverImages}: rewrites each broadcasting use so that several images
 *    broadcast too: the frontier side becomes [images, 1, ...], the row-major side
 *    [images, beams, ...], and the result is folded back to [rows, ...]. Nothing is tiled.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import { nodeReads } from "./graph_scope.ts";
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from "./onnx_io.ts";
import { ELEM_TYPE, onnxProtos, toInt } from "./onnx_io.ts";

/** Whether one frontier tensor broadcasts over rows, and what blocks it if not. */
export interface FrontierBatching {
  /** The frontier tensor. */
  name: string;
  /** True when a batch-1 (or, after the rewrite, batch-images) tensor is valid for any rows. */
  broadcasts: boolean;
  /** Nodes whose use of it needs batch = rows (op type and name). */
  blockers: string[];
}

const PASS_THROUGH = new Set([
  "Cast",
  "Identity",
  "Neg",
  "Exp",
  "Sqrt",
  "Relu",
  "Tanh",
  "Sigmoid",
  "Erf",
  "Reciprocal",
]);
const BROADCASTING = new Set(["MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Where", "Max", "Min"]);

/**
 * Checks, for each frontier tensor, whether the step graph broadcasts it over the rows.
 * @param step the partitioned step model
 * @param frontier names of the frontier inputs
 * @returns one verdict per name
 */
export function analyseFrontierBatching(
  step: OnnxModel,
  frontier: readonly string[],
): FrontierBatching[] {
  const graph = step.graph ?? {};
  const { consumers, consts } = indexGraph(graph);
  return frontier.map((name) => {
    const blockers: string[] = [];
    walkUses(name, consumers, consts, (n) => blockers.push(`${n.opType} ${n.name ?? ""}`.trim()));
    return { name, broadcasts: blockers.length === 0, blockers };
  });
}

/**
 * Rewrites a step graph so frontier tensors of batch = images broadcast over rows = images *
 * beams (image-major rows). Requires every frontier use to pass {@link analyseFrontierBatching}.
 * @param step the partitioned step model (not modified)
 * @param frontier names of the frontier inputs
 * @returns a new step model with the same inputs and outputs
 * @throws UnsupportedModelError when some use needs batch = rows (feed tiled tensors instead)
 */
export function broadcastFrontierOverImages(
  step: OnnxModel,
  frontier: readonly string[],
): OnnxModel {
  const blocked = analyseFrontierBatching(step, frontier).filter((f) => !f.broadcasts);
  if (blocked.length > 0) {
    throw new UnsupportedModelError(
      `Cannot broadcast frontier tensors over beams: ${blocked[0].name} is used by ` +
        `${blocked[0].blockers.join(", ")}, which needs one row per beam`,
    );
  }
  const graph = step.graph ?? {};
  const opset = toInt((step.opsetImport ?? []).find((o) => !o.domain)?.version) || 11;
  const { consumers, consts } = indexGraph(graph);
  // Frontier-derived tensors (axis 0 = images), and the broadcasting nodes where they meet rows.
  const derived = new Set<string>();
  const targets = new Set<OnnxNode>();
  for (const f of frontier) {
    walkUses(f, consumers, consts, () => {}, (n) => targets.add(n), (t) => derived.add(t));
  }
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  for (const n of graph.node ?? []) if (n.opType === "Constant") constants.add(n.output?.[0] ?? "");
  const made: OnnxTensor[] = [];
  const constant = (value: number): string => {
    const name = `frontier_bcast/const_${value}`;
    if (!made.some((t) => t.name === name)) {
      made.push({ name, dataType: ELEM_TYPE.INT64, dims: [1], int64Data: [value] });
    }
    return name;
  };
  const INT_MAX = 2 ** 53 - 1;
  const nodes: OnnxNode[] = [];
  let k = 0;
  for (const n of graph.node ?? []) {
    if (!targets.has(n)) {
      nodes.push(n);
      continue;
    }
    const id = `frontier_bcast_${k++}`;
    const list: OnnxNode[] = [];
    const mk = (op: string, input: string[], output: string, attribute: object[] = []): string => {
      list.push(
        onnxProtos.NodeProto.create({
          opType: op,
          name: `${id}/${output}`,
          input,
          output: [output],
          attribute,
        }),
      );
      return output;
    };
    const ins = [...(n.input ?? [])];
    const first = ins.find((i) => derived.has(i))!;
    const images = mk("Slice", [
      mk("Shape", [first], `${id}/fshape`),
      constant(0),
      constant(1),
      constant(0),
    ], `${id}/images`);
    ins.forEach((x, i) => {
      if (!x || constants.has(x)) return; // constants broadcast from the right as before
      if (derived.has(x)) {
        // [images, ...] -> [images, 1, ...]
        ins[i] = opset >= 13
          ? mk("Unsqueeze", [x, constant(1)], `${id}/in${i}`)
          : mk("Unsqueeze", [x], `${id}/in${i}`, [{ name: "axes", type: 7, ints: [1] }]);
      } else {
        // [rows, ...] -> [images, beams, ...]
        const rest = mk("Slice", [
          mk("Shape", [x], `${id}/xshape${i}`),
          constant(1),
          constant(INT_MAX),
          constant(0),
        ], `${id}/xrest${i}`);
        const shape = mk("Concat", [images, constant(-1), rest], `${id}/xnew${i}`, [{
          name: "axis",
          type: 2,
          i: 0,
        }]);
        ins[i] = mk("Reshape", [x, shape], `${id}/in${i}`);
      }
    });
    const out = (n.output ?? [])[0] ?? "";
    const tmp = `${id}/out`;
    list.push({ ...n, input: ins, output: [tmp] });
    // [images, beams, ...] -> [rows, ...]
    const rest = mk("Slice", [
      mk("Shape", [tmp], `${id}/yshape`),
      constant(2),
      constant(INT_MAX),
      constant(0),
    ], `${id}/yrest`);
    const shape = mk("Concat", [constant(-1), rest], `${id}/ynew`, [{
      name: "axis",
      type: 2,
      i: 0,
    }]);
    list.push(
      onnxProtos.NodeProto.create({
        opType: "Reshape",
        name: `${id}/fold`,
        input: [tmp, shape],
        output: [out],
      }),
    );
    nodes.push(...list);
  }
  return {
    ...step,
    graph: { ...graph, node: nodes, initializer: [...(graph.initializer ?? []), ...made] },
  };
}

/** Consumers of each tensor, and the int64 constants of a graph (Constant nodes, initializers). */
function indexGraph(graph: OnnxGraph): {
  consumers: Map<string, OnnxNode[]>;
  consts: Map<string, number[]>;
} {
  const consumers = new Map<string, OnnxNode[]>();
  const consts = new Map<string, number[]>();
  for (const n of graph.node ?? []) {
    for (const r of nodeReads(n)) {
      if (!consumers.has(r)) consumers.set(r, []);
      consumers.get(r)!.push(n);
    }
    if (n.opType === "Constant" && n.attribute?.[0]?.t) {
      consts.set(n.output?.[0] ?? "", intValues(n.attribute[0].t));
    }
  }
  for (const t of graph.initializer ?? []) consts.set(t.name ?? "", intValues(t));
  return { consumers, consts };
}

/** Integer values of a small tensor (int64/int32 data or raw little-endian int64). */
function intValues(t: OnnxTensor): number[] {
  if ((t.int64Data ?? []).length > 0) return (t.int64Data ?? []).map(toInt);
  if ((t.int32Data ?? []).length > 0) return [...(t.int32Data ?? [])];
  const raw = t.rawData;
  if (raw && t.dataType === ELEM_TYPE.INT64 && raw.length <= 64) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  return [];
}

/**
 * Follows the uses of a frontier tensor. Calls `block` for a use that needs batch = rows,
 * `target` for a broadcasting node where it meets row-major tensors, `derived` for every tensor
 * that still has images on axis 0.
 */
function walkUses(
  start: string,
  consumers: Map<string, OnnxNode[]>,
  consts: Map<string, number[]>,
  block: (n: OnnxNode) => void,
  target: (n: OnnxNode) => void = () => {},
  derived: (t: string) => void = () => {},
): void {
  const stack = [start];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    derived(t);
    for (const n of consumers.get(t) ?? []) {
      const op = n.opType ?? "";
      const out = (n.output ?? [])[0] ?? "";
      const attrInts = (name: string): number[] =>
        ((n.attribute ?? []).find((a) => a.name === name)?.ints ?? []).map(toInt);
      if (BROADCASTING.has(op) && (n.input ?? []).indexOf(t) >= 0) target(n);
      else if (PASS_THROUGH.has(op)) stack.push(out);
      else if (op === "Transpose" && (attrInts("perm")[0] ?? 0) === 0) stack.push(out);
      else if ((op === "Unsqueeze" || op === "Squeeze") && n.input?.[0] === t) {
        const axes = n.input?.[1] ? consts.get(n.input[1]) ?? [0] : attrInts("axes");
        if (axes.length > 0 && axes.every((a) => a > 0)) stack.push(out);
        else block(n);
      } else if (op === "Shape" && shapeAvoidsAxis0(out, consumers, consts)) continue;
      else block(n);
    }
  }
}

/** True when every use of a Shape output reads only dims other than 0 (constant Gather/Slice). */
function shapeAvoidsAxis0(
  shape: string,
  consumers: Map<string, OnnxNode[]>,
  consts: Map<string, number[]>,
): boolean {
  return (consumers.get(shape) ?? []).every((n) => {
    const [, a, b] = n.input ?? [];
    if (n.opType === "Gather") return (consts.get(a) ?? [0]).every((i) => i !== 0);
    if (n.opType === "Slice") {
      return (consts.get(a) ?? [0]).every((i) => i !== 0) && b !== undefined;
    }
    return false;
  });
}
