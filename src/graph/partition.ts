/**
 * Loop-invariant partitioning of a decoder graph (ARCHITECTURE.md, "Cross-attention keys/values:
 * computed once"). Every node whose value depends only on the invariant inputs (by default
 * `encoder_hidden_states`), initializers and constants is loop-invariant: those nodes form the
 * `invariant` graph, run once per image; the tensors where invariant values meet the per-step
 * computation (the frontier) become its outputs and new inputs of the `step` graph.
 *
 * Decisions, for any graph (not just GPT2):
 * - Constants (Constant nodes and nodes computed from initializers/constants only) are
 *   duplicated into whichever graph reads them; they never cross the cut. Nodes with no inputs
 *   that are not constant (RandomNormal, ...) stay in the step graph.
 * - Shape arithmetic: an invariant tensor whose value depends on the invariant inputs only
 *   through `Shape` (e.g. the attention scale sqrt(head_dim) read off the value tensor's shape) is
 *   recomputed in the step graph from the frontier tensors its `Shape` nodes read, rather than
 *   crossing as a scalar; only when its `Shape` nodes read something the step graph lacks (e.g.
 *   `Shape(encoder_hidden_states)`) does it cross as a frontier tensor.
 * - Subgraph attributes (If/Loop bodies) count as reading the outer names they refer to.
 * - Graph outputs that are invariant (trocr's `present.{i}.encoder.*` in the first-step graph)
 *   become outputs of the invariant graph and leave the step graph.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import { inferElemTypes } from "./elem_types.ts";
import { liveNodes, nodeReads, topoSort } from "./graph_scope.ts";
import { collectValueInfo, copyModelHeader } from "./lift_if_branch.ts";
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from "./onnx_io.ts";
import { toInt } from "./onnx_io.ts";

/** A tensor crossing from the invariant graph to the step graph. */
export interface FrontierTensor {
  /** Tensor name: an output of `invariant` and an input of `step`. */
  name: string;
  /** TensorProto.DataType code (1 = float32, 7 = int64), 0 when unknown. */
  elemType: number;
  /** Declared shape (numbers and symbolic names) where the model's value_info gives one. */
  shape: (number | string)[] | null;
}

/** Counts describing what moved out of the step. */
export interface PartitionStats {
  /** Nodes in the invariant graph (constants included). */
  invariantNodes: number;
  /** Nodes in the step graph. */
  stepNodes: number;
  /** Nodes of the original graph. */
  originalNodes: number;
  /** Op type -> number of non-constant nodes moved out of the step. */
  movedOps: Record<string, number>;
  /**
   * Sum over moved MatMul/Gemm nodes with an initializer weight of the weight's element count:
   * each invariant-input row (e.g. each encoder position of each image) saves 2x this FLOPs.
   */
  movedWeightElements: number;
  /** Shape-only invariant values recomputed in the step graph instead of crossing. */
  recomputedShapeTensors: string[];
}

/** Result of {@link partitionLoopInvariant}. */
export interface Partition {
  /** Run once per image: invariant inputs -> frontier tensors (+ invariant graph outputs). */
  invariant: OnnxModel;
  /** Run per step: the original step inputs + frontier tensors -> the original outputs. */
  step: OnnxModel;
  /** The tensors crossing from `invariant` to `step`, in the step graph's input order. */
  frontier: FrontierTensor[];
  /** Original graph outputs that only the invariant graph produces (not outputs of `step`). */
  invariantOutputs: string[];
  /** What moved. */
  stats: PartitionStats;
}

/** Ops with no inputs whose value is not constant: never treat as invariant. */
const NONDETERMINISTIC = new Set([
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Multinomial",
  "Bernoulli",
]);

const enum Kind {
  Const = 1,
  Invariant = 2,
  Step = 3,
}

/**
 * Splits a decoder graph into a once-per-image invariant graph and a per-step graph.
 * @param model a decoded decoder model (not modified; initializer bytes are shared)
 * @param invariantInputs graph inputs that do not change between steps
 * @returns the two graphs, the frontier between them, and statistics
 * @throws RangeError when an invariant input is not an input of the graph
 * @throws UnsupportedModelError when nothing depends on the invariant inputs
 * @example
 * ```ts
 * const { invariant, step, frontier } = partitionLoopInvariant(decodeModel(bytes));
 * ```
 */
export function partitionLoopInvariant(
  model: OnnxModel,
  invariantInputs: readonly string[] = ["encoder_hidden_states"],
): Partition {
  const graph = model.graph;
  if (!graph) throw new UnsupportedModelError("Cannot partition a model without a graph");
  const inputs = graph.input ?? [];
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name ?? "", t);
  for (const name of invariantInputs) {
    if (!inputs.some((v) => v.name === name)) {
      throw new RangeError(
        `Cannot partition ${graph.name || "graph"}: "${name}" is not one of its inputs ` +
          `(${inputs.map((v) => v.name).join(", ")})`,
      );
    }
  }

  // 1. Classify every tensor: constant, invariant, or per-step.
  const nodes = topoSort(graph.node ?? [], [
    ...inputs.map((v) => v.name ?? ""),
    ...initializers.keys(),
  ]);
  const kind = new Map<string, Kind>();
  for (const name of initializers.keys()) kind.set(name, Kind.Const);
  for (const v of inputs) {
    kind.set(v.name ?? "", invariantInputs.includes(v.name ?? "") ? Kind.Invariant : Kind.Step);
  }
  const nodeKind = new Map<OnnxNode, Kind>();
  // shapeOnly: invariant values that depend on the invariant inputs only through Shape.
  const shapeOnly = new Set<string>();
  for (const n of nodes) {
    const reads = nodeReads(n);
    let k = Kind.Const;
    for (const r of reads) k = Math.max(k, kind.get(r) ?? Kind.Step);
    if (NONDETERMINISTIC.has(n.opType ?? "")) k = Kind.Step;
    nodeKind.set(n, k);
    for (const o of n.output ?? []) if (o) kind.set(o, k);
    if (k !== Kind.Invariant) continue;
    const isShape = n.opType === "Shape" && (n.input ?? []).length === 1;
    const fromShapes = reads.every((r) => kind.get(r) === Kind.Const || shapeOnly.has(r));
    if (isShape || fromShapes) { for (const o of n.output ?? []) if (o) shapeOnly.add(o); }
  }
  const invariantNodes = nodes.filter((n) => nodeKind.get(n) === Kind.Invariant);
  if (invariantNodes.length === 0) {
    throw new UnsupportedModelError(
      `Cannot partition ${graph.name || "graph"}: no node depends only on ${
        invariantInputs.join(", ")
      }`,
    );
  }

  // 2. Candidates: invariant tensors read by step nodes, and invariant graph outputs.
  const readByStep = new Set<string>();
  for (const n of nodes) {
    if (nodeKind.get(n) === Kind.Step) { for (const r of nodeReads(n)) readByStep.add(r); }
  }
  const outputs = graph.output ?? [];
  const invariantOutputs = outputs.map((o) => o.name ?? "").filter((n) =>
    kind.get(n) === Kind.Invariant
  );
  const candidates = [...new Set([...readByStep].filter((r) => kind.get(r) === Kind.Invariant))];

  // 3. Shape-only candidates are recomputed in the step graph when every Shape they rest on
  //    reads a data frontier tensor; otherwise they cross too.
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const dataFrontier = new Set(candidates.filter((c) => !shapeOnly.has(c)));
  for (const o of invariantOutputs) dataFrontier.add(o);
  const recomputed: OnnxNode[] = [];
  const recomputedNames: string[] = [];
  for (const c of candidates.filter((x) => shapeOnly.has(x))) {
    const chain = shapeChain(c, producer, kind);
    const leavesOk = chain.every((n) =>
      n.opType !== "Shape" ||
      nodeReads(n).every((r) => dataFrontier.has(r) || kind.get(r) !== Kind.Invariant)
    );
    if (leavesOk) {
      recomputed.push(...chain);
      recomputedNames.push(c);
    } else {
      dataFrontier.add(c);
    }
  }

  // 4. The step graph: step nodes, recomputed shape chains, constants; pruned from its outputs.
  const stepOutputs = outputs.filter((o) => !invariantOutputs.includes(o.name ?? ""));
  const stepPool = nodes.filter((n) =>
    nodeKind.get(n) !== Kind.Invariant || recomputed.includes(n)
  );
  const stepLive = liveNodes(stepPool, stepOutputs.map((o) => o.name ?? ""));
  const frontierNames = [...dataFrontier].filter((f) =>
    stepLive.external.has(f) || invariantOutputs.includes(f)
  );
  const types = inferElemTypes(graph);
  // An invariant input read directly by the step (nothing better possible) stays a plain input.
  const frontier: FrontierTensor[] = frontierNames
    .filter((f) => !invariantOutputs.includes(f) && !inputs.some((v) => v.name === f))
    .map((name) => ({ name, elemType: types.get(name) ?? 0, shape: declaredShape(graph, name) }));
  const stepInputs: OnnxValueInfo[] = [
    ...inputs.filter((v) => stepLive.external.has(v.name ?? "")),
    ...frontier.map((f) => valueInfo(f)),
  ];
  const stepDefined = new Set([...stepInputs.map((v) => v.name ?? ""), ...initializers.keys()]);
  for (const e of stepLive.external) {
    if (!stepDefined.has(e)) {
      throw new UnsupportedModelError(
        `Cannot partition: the step graph reads "${e}", which it lacks`,
      );
    }
  }
  const step = buildGraph(
    model,
    graph,
    `${graph.name || "graph"}_step`,
    stepLive.nodes,
    stepInputs,
    stepOutputs,
    initializers,
  );

  // 5. The invariant graph: invariant nodes and constants, pruned from the frontier.
  const invPool = nodes.filter((n) => nodeKind.get(n) !== Kind.Step);
  const invOutputNames = [...frontier.map((f) => f.name), ...invariantOutputs];
  const invLive = liveNodes(invPool, invOutputNames);
  const invOutputs = invOutputNames.map((name) =>
    outputs.find((o) => o.name === name) ?? valueInfo(frontier.find((f) => f.name === name)!)
  );
  const invInputs = inputs.filter((v) => invLive.external.has(v.name ?? ""));
  const invariant = buildGraph(
    model,
    graph,
    `${graph.name || "graph"}_invariant`,
    invLive.nodes,
    invInputs,
    invOutputs,
    initializers,
  );

  const movedOps: Record<string, number> = {};
  let movedWeightElements = 0;
  for (const n of invLive.nodes) {
    if (nodeKind.get(n) !== Kind.Invariant) continue;
    movedOps[n.opType ?? ""] = (movedOps[n.opType ?? ""] ?? 0) + 1;
    if (n.opType === "MatMul" || n.opType === "Gemm") {
      const w = initializers.get((n.input ?? [])[1] ?? "");
      if (w) movedWeightElements += (w.dims ?? []).reduce<number>((a, d) => a * toInt(d), 1);
    }
  }
  return {
    invariant,
    step,
    frontier,
    invariantOutputs,
    stats: {
      invariantNodes: invLive.nodes.length,
      stepNodes: stepLive.nodes.length,
      originalNodes: nodes.length,
      movedOps,
      movedWeightElements,
      recomputedShapeTensors: recomputedNames,
    },
  };
}

/**
 * The invariant nodes computing a shape-only tensor, back to (and including) its Shape nodes.
 * @param name the tensor
 * @param producer tensor -> producing node
 * @param kind tensor classification
 * @returns the nodes, in no particular order (the step graph is re-sorted)
 */
function shapeChain(
  name: string,
  producer: Map<string, OnnxNode>,
  kind: Map<string, Kind>,
): OnnxNode[] {
  const out = new Set<OnnxNode>();
  const stack = [name];
  while (stack.length > 0) {
    const n = producer.get(stack.pop()!);
    if (!n || out.has(n) || kind.get((n.output ?? [])[0] ?? "") !== Kind.Invariant) continue;
    out.add(n);
    if (n.opType !== "Shape") stack.push(...nodeReads(n));
  }
  return [...out];
}

/**
 * Assembles one side of the cut.
 * @returns a model sharing the original's header and initializer bytes
 */
function buildGraph(
  model: OnnxModel,
  graph: OnnxGraph,
  name: string,
  nodes: OnnxNode[],
  input: OnnxValueInfo[],
  output: OnnxValueInfo[],
  initializers: Map<string, OnnxTensor>,
): OnnxModel {
  const { external } = liveNodes(nodes, output.map((o) => o.name ?? ""));
  const inits = [...initializers.values()].filter((t) => external.has(t.name ?? ""));
  const inputNames = input.map((v) => v.name ?? "");
  const ordered = topoSort(nodes, [...inputNames, ...inits.map((t) => t.name ?? "")]);
  const sub: OnnxGraph = {
    name,
    node: ordered,
    input,
    output,
    initializer: inits,
    valueInfo: collectValueInfo([graph], ordered),
    docString: graph.docString,
  };
  return { ...copyModelHeader(model), graph: sub };
}

/** The declared shape of a tensor, from the graph's value_info/outputs, or null. */
function declaredShape(graph: OnnxGraph, name: string): (number | string)[] | null {
  const v = [...(graph.valueInfo ?? []), ...(graph.output ?? [])].find((x) => x.name === name);
  const dims = v?.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d) => d.dimParam ? d.dimParam : toInt(d.dimValue));
}

/** A value info for a frontier tensor (type and, where known, shape). */
function valueInfo(f: FrontierTensor): OnnxValueInfo {
  return {
    name: f.name,
    type: {
      tensorType: {
        elemType: f.elemType,
        shape: f.shape
          ? { dim: f.shape.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) }
          : undefined,
      },
    },
  };
}
