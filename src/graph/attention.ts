/**
 * Multi-head attention pieces on token-major activations [tokens, hidden] (tokens = batch * seq):
 * split into heads, scaled dot-product attention with additive biases, merge back, the causal
 * bias of a cached decoder step, and cross-attention that broadcasts one image's keys/values
 * over all of its rows (beams) without tiling them.
 * @module
 */

import { FLOAT32_MAX, type GraphBuilder } from "./builder.ts";

/**
 * [batch * seq, heads * headDim] -> [batch, heads, seq, headDim].
 * @param b the graph
 * @param x token-major input
 * @param batchSeq int64 [2] value holding [batch, seq]
 * @param heads number of heads
 * @param headDim size of one head
 * @returns the per-head view
 */
export function splitHeads(
  b: GraphBuilder,
  x: string,
  batchSeq: string,
  heads: number,
  headDim: number,
): string {
  const shape = b.concat([batchSeq, b.constI64([heads, headDim])], 0);
  return b.transpose(b.reshape(x, shape), [0, 2, 1, 3]);
}

/**
 * [batch, heads, seq, headDim] -> [batch * seq, heads * headDim].
 * @param b the graph
 * @param x per-head input
 * @param hidden heads * headDim
 * @returns the token-major output
 */
export function mergeHeads(b: GraphBuilder, x: string, hidden: number): string {
  return b.reshape(b.transpose(x, [0, 2, 1, 3]), [-1, hidden]);
}

/** Options of {@link attend}. */
export interface AttendOptions {
  /** Factor applied to the scores before the biases (omit when q is already scaled). */
  scale?: number;
  /** Additive biases broadcast onto the scores [..., q, k] (masks, relative positions). */
  biases?: readonly string[];
}

/**
 * softmax(q @ k^T * scale + biases) @ v over the last two axes, batch axes broadcast.
 * @param b the graph
 * @param q queries [..., q, d]
 * @param k keys [..., k, d]
 * @param v values [..., k, d]
 * @param options scale and additive biases
 * @returns the context [..., q, d]
 */
export function attend(
  b: GraphBuilder,
  q: string,
  k: string,
  v: string,
  options: AttendOptions = {},
): string {
  const rank = 4;
  const perm = [...Array(rank - 2).keys(), rank - 1, rank - 2];
  let scores = b.matMul(q, b.transpose(k, perm));
  if (options.scale !== undefined && options.scale !== 1) {
    scores = b.mul(scores, b.constF32(options.scale));
  }
  for (const bias of options.biases ?? []) scores = b.add(scores, bias);
  return b.matMul(b.softmax(scores, -1), v);
}

/**
 * The additive causal bias of a decoder step: query i (absolute position past + i) sees keys
 * 0..past + i; masked entries get -FLOAT32_MAX (torch.finfo(float32).min, as transformers).
 * @param b the graph
 * @param past int64 [1] number of cached positions
 * @param n int64 [1] number of new tokens
 * @returns float32 [n, past + n]
 */
export function causalBias(b: GraphBuilder, past: string, n: string): string {
  const one = b.constI64(1);
  const p = b.squeeze(past, [0]);
  const total = b.add(p, b.squeeze(n, [0]));
  const qpos = b.unsqueeze(b.range(p, total, one), [1]);
  const kpos = b.unsqueeze(b.range(b.constI64(0), total, one), [0]);
  return b.where(b.lessOrEqual(kpos, qpos), b.constF32(0), b.constF32(-FLOAT32_MAX));
}

/** Arguments of {@link crossAttendPerImage}. */
export interface CrossAttendArgs {
  /** Token-major queries [rows * n, hidden], already projected (and scaled, if scale omitted). */
  q: string;
  /** Keys [images, heads, s, headDim], one per image. */
  k: string;
  /** Values [images, heads, s, headDim], one per image. */
  v: string;
  /** Number of heads. */
  heads: number;
  /** Size of one head. */
  headDim: number;
  /** Factor applied to the scores. */
  scale?: number;
}

/**
 * Cross-attention where rows [r * R, (r + 1) * R) all belong to image r (R = rows / images):
 * the queries of one image's rows are folded into one sequence [images, heads, R * n, d], so one
 * batched MatMul per image reads that image's K/V once and nothing is tiled or gathered. The
 * result equals attending each row to its image's K/V separately.
 * @param b the graph
 * @param args queries, per-image keys/values, head geometry
 * @returns token-major context [rows * n, hidden]
 */
export function crossAttendPerImage(b: GraphBuilder, args: CrossAttendArgs): string {
  const { heads, headDim } = args;
  const hidden = heads * headDim;
  const images = b.dim(args.k, 0);
  const shape = b.concat([images, b.constI64([-1, heads, headDim])], 0);
  const q = b.transpose(b.reshape(args.q, shape), [0, 2, 1, 3]);
  const ctx = attend(b, q, args.k, args.v, { scale: args.scale });
  return mergeHeads(b, ctx, hidden);
}
