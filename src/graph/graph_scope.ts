/**
 * Name resolution in ONNX graphs: what a node reads (its inputs plus the outer-scope names its
 * subgraph attributes, such as If/Loop/Scan bodies, refer to), and what a subgraph takes from the
 * scope around it. The graph transformations (branch lifting, partitioning) are built on these.
 * @module
 */

import type { OnnxGraph, OnnxNode } from "./onnx_io.ts";

/**
 * The subgraphs held in a node's attributes (`g` and `graphs`).
 * @param node an ONNX node
 * @returns its subgraphs, in attribute order
 */
export function nodeSubgraphs(node: OnnxNode): OnnxGraph[] {
  const out: OnnxGraph[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push(a.g);
    for (const g of a.graphs ?? []) out.push(g);
  }
  return out;
}

/**
 * Names a graph reads from its enclosing scope: every name a node (or a nested subgraph) uses
 * that the graph itself does not define as input, initializer or node output.
 * @param graph a subgraph (If branch, Loop body, ...)
 * @returns the outer-scope names, in first-use order
 */
export function outerScopeNames(graph: OnnxGraph): string[] {
  const defined = new Set<string>();
  for (const v of graph.input ?? []) if (v.name) defined.add(v.name);
  for (const t of graph.initializer ?? []) if (t.name) defined.add(t.name);
  for (const s of graph.sparseInitializer ?? []) if (s.values?.name) defined.add(s.values.name);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) if (o) defined.add(o);
  const seen = new Set<string>();
  const out: string[] = [];
  const use = (name: string): void => {
    if (name && !defined.has(name) && !seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  };
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) use(i);
    for (const g of nodeSubgraphs(n)) for (const i of outerScopeNames(g)) use(i);
  }
  for (const o of graph.output ?? []) use(o.name ?? "");
  return out;
}

/**
 * Every tensor name a node reads: its non-empty inputs, then the outer-scope names of its
 * subgraph attributes (an `If` reads what its branches read).
 * @param node an ONNX node
 * @returns the names, without duplicates
 */
export function nodeReads(node: OnnxNode): string[] {
  const out = new Set<string>();
  for (const i of node.input ?? []) if (i) out.add(i);
  for (const g of nodeSubgraphs(node)) for (const i of outerScopeNames(g)) out.add(i);
  return [...out];
}

/**
 * Orders nodes so that each comes after the producers of what it reads (stable: keeps the
 * given order where it is already valid).
 * @param nodes the nodes of one graph
 * @param available names defined before any node runs (inputs, initializers, outer scope)
 * @returns the nodes in a valid execution order
 * @throws RangeError when a node reads a name nothing defines, or the nodes form a cycle
 */
export function topoSort(nodes: readonly OnnxNode[], available: Iterable<string>): OnnxNode[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o) producer.set(o, i);
  });
  const known = new Set(available);
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const out: OnnxNode[] = [];
  const visit = (start: number): void => {
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const reads = nodeReads(nodes[top[0]]);
      if (top[1] < reads.length) {
        const name = reads[top[1]++];
        const p = producer.get(name);
        if (p === undefined) {
          if (!known.has(name)) {
            throw new RangeError(
              `node ${nodes[top[0]].name ?? "?"} reads "${name}", which nothing defines`,
            );
          }
          continue;
        }
        if (state[p] === 1) throw new RangeError(`graph has a cycle through "${name}"`);
        if (state[p] === 0) {
          state[p] = 1;
          stack.push([p, 0]);
        }
      } else {
        state[top[0]] = 2;
        out.push(nodes[top[0]]);
        stack.pop();
      }
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return out;
}

/**
 * The nodes needed to compute some names (backward reachability), in their given order.
 * @param nodes the candidate nodes
 * @param wanted names that must be computed (graph outputs)
 * @returns the live nodes, and every name they (or `wanted`) read that no live node defines
 */
export function liveNodes(
  nodes: readonly OnnxNode[],
  wanted: Iterable<string>,
): { nodes: OnnxNode[]; external: Set<string> } {
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const live = new Set<OnnxNode>();
  const external = new Set<string>();
  const stack = [...wanted];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const p = producer.get(name);
    if (!p) {
      external.add(name);
      continue;
    }
    if (live.has(p)) continue;
    live.add(p);
    for (const r of nodeReads(p)) stack.push(r);
  }
  return { nodes: nodes.filter((n) => live.has(n)), external };
}
