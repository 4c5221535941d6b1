/**
 * Lifting one branch of a top-level `If` out as a standalone model. Optimum's merged decoders
 * (`decoder_model_merged.onnx`) hold the no-past and with-past decoders as the two branches of
 * one `If` on the boolean input `use_cache_branch`: `then_branch` (true) is the with-past step,
 * `else_branch` (false) the first step. Many Hub repos ship only the merged file; lifting gives
 * graphs that can be partitioned and run without the condition.
 *
 * The lifted graph holds the branch's nodes plus any top-level nodes they depend on; the
 * branch's outer-scope references resolve to the merged graph's inputs (those the branch really
 * reads: the no-past branch drops `past_key_values.*`) or initializers (only those used are
 * kept, sharing the same bytes); the branch's outputs take the `If`'s output names.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import { liveNodes, nodeSubgraphs, topoSort } from "./graph_scope.ts";
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from "./onnx_io.ts";
import { ELEM_TYPE, onnxProtos } from "./onnx_io.ts";

/** Options of {@link liftIfBranch}. */
export interface LiftIfBranchOptions {
  /** Name of the boolean graph input the `If` branches on (default "use_cache_branch"). */
  condition?: string;
}

/**
 * Lifts the branch of the top-level `If` on `condition` that runs when it equals `value`.
 * @param model a merged model (decoded; not modified, its initializer bytes are shared)
 * @param value the condition's value: true lifts `then_branch` (Optimum: with past), false
 *   lifts `else_branch` (Optimum: no past)
 * @param options the condition input's name
 * @returns a standalone model without the condition input, with the merged model's output names
 * @throws UnsupportedModelError when the model has no such `If`, or names collide
 * @example
 * ```ts
 * const withPast = liftIfBranch(decodeModel(mergedBytes), true);
 * ```
 */
export function liftIfBranch(
  model: OnnxModel,
  value: boolean,
  options: LiftIfBranchOptions = {},
): OnnxModel {
  const condition = options.condition ?? "use_cache_branch";
  const graph = model.graph;
  if (!graph) throw new UnsupportedModelError("Cannot lift an If branch: the model has no graph");
  const nodes = graph.node ?? [];
  const ifs = nodes.filter((n) => n.opType === "If" && n.input?.[0] === condition);
  if (ifs.length !== 1) {
    throw new UnsupportedModelError(
      `Cannot lift an If branch from ${graph.name || "the graph"}: expected one top-level If on ` +
        `"${condition}", found ${ifs.length}`,
    );
  }
  const ifNode = ifs[0];
  const attrName = value ? "then_branch" : "else_branch";
  const branch = (ifNode.attribute ?? []).find((a) => a.name === attrName)?.g;
  if (!branch) {
    throw new UnsupportedModelError(`Cannot lift ${attrName}: the If node has no such attribute`);
  }
  const ifOutputs = ifNode.output ?? [];
  const branchOutputs = branch.output ?? [];
  if (branchOutputs.length !== ifOutputs.length) {
    throw new UnsupportedModelError(
      `Cannot lift ${attrName}: it has ${branchOutputs.length} outputs, the If has ${ifOutputs.length}`,
    );
  }

  // Names the merged graph defines outside the branch, to detect shadowing.
  const outerDefined = new Set<string>();
  for (const v of graph.input ?? []) outerDefined.add(v.name ?? "");
  for (const t of graph.initializer ?? []) outerDefined.add(t.name ?? "");
  for (const n of nodes) if (n !== ifNode) { for (const o of n.output ?? []) outerDefined.add(o); }
  for (const n of branch.node ?? []) {
    for (const o of n.output ?? []) {
      if (
        o &&
        (outerDefined.has(o) || ifOutputs.includes(o) && !branchOutputs.some((b) => b.name === o))
      ) {
        throw new UnsupportedModelError(
          `Cannot lift ${attrName}: its tensor "${o}" shadows an outer name`,
        );
      }
    }
  }

  // All nodes: top-level ones except the If, the branch's, Identities for renamed outputs, and a
  // Constant for the condition should anything else still read it.
  const merged: OnnxNode[] = nodes.filter((n) => n !== ifNode);
  merged.push(...(branch.node ?? []));
  branchOutputs.forEach((b, i) => {
    if (b.name !== ifOutputs[i]) {
      merged.push(onnxProtos.NodeProto.create({
        opType: "Identity",
        name: `lifted_output_${i}`,
        input: [b.name ?? ""],
        output: [ifOutputs[i]],
      }));
    }
  });

  const graphOutputs = graph.output ?? [];
  const wanted = graphOutputs.map((o) => o.name ?? "");
  const live = liveNodes(merged, wanted);
  if (live.external.has(condition)) {
    live.nodes.unshift(onnxProtos.NodeProto.create({
      opType: "Constant",
      name: `lifted_${condition}`,
      output: [condition],
      attribute: [{
        name: "value",
        type: onnxProtos.AttributeProto.AttributeType.TENSOR,
        t: { dataType: ELEM_TYPE.BOOL, dims: [1], int32Data: [value ? 1 : 0] },
      }],
    }));
  }

  const initializers = new Map<string, OnnxTensor>();
  for (const t of [...(graph.initializer ?? []), ...(branch.initializer ?? [])]) {
    if (!live.external.has(t.name ?? "")) continue;
    if (initializers.has(t.name ?? "") && initializers.get(t.name ?? "") !== t) {
      throw new UnsupportedModelError(
        `Cannot lift ${attrName}: initializer "${t.name}" defined twice`,
      );
    }
    initializers.set(t.name ?? "", t);
  }
  const inputs = (graph.input ?? []).filter((v) =>
    v.name !== condition && live.external.has(v.name ?? "") && !initializers.has(v.name ?? "")
  );
  const available = [...inputs.map((v) => v.name ?? ""), ...initializers.keys()];
  const ordered = topoSort(live.nodes, available);

  const outputs = graphOutputs.map((o, i) => pickType(o, branchOutputs[i]));
  const valueInfo = collectValueInfo([graph, branch], ordered);
  const lifted: OnnxGraph = {
    name: `${graph.name || "graph"}_${attrName}`,
    node: ordered,
    input: inputs,
    output: outputs,
    initializer: [...initializers.values()],
    valueInfo,
    docString: graph.docString,
  };
  return { ...copyModelHeader(model), graph: lifted };
}

/**
 * The merged graph's output, typed by the branch's output where the branch declares a type.
 * @param outer the merged graph's output
 * @param inner the branch's output at the same position
 * @returns a value info with the outer name
 */
function pickType(outer: OnnxValueInfo, inner: OnnxValueInfo | undefined): OnnxValueInfo {
  const innerType = inner?.type?.tensorType;
  if (innerType?.elemType && innerType.shape) return { ...inner, name: outer.name };
  return outer;
}

/**
 * The value_info entries of some graphs that name tensors the given nodes produce.
 * @param graphs graphs whose value_info to keep (outer first)
 * @param nodes the nodes of the new graph
 * @returns the value infos, one per name
 */
export function collectValueInfo(
  graphs: readonly OnnxGraph[],
  nodes: readonly OnnxNode[],
): OnnxValueInfo[] {
  const produced = new Set<string>();
  for (const n of nodes) for (const o of n.output ?? []) produced.add(o);
  const out = new Map<string, OnnxValueInfo>();
  for (const g of graphs) {
    for (const v of g.valueInfo ?? []) {
      if (produced.has(v.name ?? "") && !out.has(v.name ?? "")) out.set(v.name ?? "", v);
    }
  }
  return [...out.values()];
}

/**
 * A model's header fields (IR version, opsets, producer, metadata, functions) without its graph.
 * @param model the source model
 * @returns a new model object with no graph
 */
export function copyModelHeader(model: OnnxModel): OnnxModel {
  return {
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadataProps: model.metadataProps,
    functions: model.functions,
  };
}

/**
 * Whether a model has a top-level `If` on the given boolean input (a merged decoder).
 * @param model a decoded model
 * @param condition the condition input's name (default "use_cache_branch")
 * @returns true when {@link liftIfBranch} applies
 */
export function hasIfBranches(model: OnnxModel, condition = "use_cache_branch"): boolean {
  return (model.graph?.node ?? []).some((n) =>
    n.opType === "If" && n.input?.[0] === condition && nodeSubgraphs(n).length === 2
  );
}
