/**
 * The `decoder_step` graph contract every vedge-built decoder follows (Optimum's seq2seq names, so
 * one runtime path serves exports and own graphs). A family supplies only its forward pass; this
 * file declares the inputs and outputs and provides cached self-attention and per-image
 * cross-attention.
 *
 * Inputs: `input_ids` int64 [rows, n]; for each layer i, in this order,
 * `past_key_values.{i}.decoder.key|value` float32 [rows, heads, past, head_dim] (past may be 0) and
 * `past_key_values.{i}.encoder.key|value` float32 [images, heads, enc_seq, head_dim], where rows
 * is a multiple of images and image r's rows are contiguous (row j belongs to image
 * floor(j / (rows / images))).
 * Outputs: `logits` float32 [rows, n, vocab], then `present.{i}.decoder.key|value`
 * [rows, heads, past + n, head_dim]. Positions start at `past` (read from the cache's shape);
 * the n new tokens attend causally to each other and to the whole cache.
 * @module
 */

import { GraphBuilder } from "../../graph/builder.ts";
import { GraphWeights } from "../../graph/graph_weights.ts";
import {
  attend,
  causalBias,
  crossAttendPerImage,
  mergeHeads,
  splitHeads,
} from "../../graph/attention.ts";
import type { WeightTensor } from "../../weights/weight_tensor.ts";

/** Attention geometry of a decoder. */
export interface DecoderGeometry {
  /** Decoder layers. */
  layers: number;
  /** Attention heads. */
  heads: number;
  /** Size of one head (hidden / heads). */
  headDim: number;
  /** Decoder hidden size. */
  hidden: number;
  /** Vocabulary size (width of the logits). */
  vocab: number;
}

/** What the scaffold hands a family's forward pass. */
export interface StepContext {
  /** The graph. */
  b: GraphBuilder;
  /** The checkpoint weights. */
  w: GraphWeights;
  /** `input_ids` int64 [rows, n]. */
  inputIds: string;
  /** int64 [2] value [rows, n]. */
  rowsN: string;
  /** int64 [1]: cached positions (the first new token's position). */
  past: string;
  /** int64 [1]: new tokens per row. */
  n: string;
  /**
   * Cached causal self-attention of layer i on token-major q, k, v [rows * n, hidden]; records
   * `present.{i}.decoder.*`.
   * @param layer layer index
   * @param q queries (already scaled when `scale` is omitted)
   * @param k keys of the new tokens
   * @param v values of the new tokens
   * @param scale factor on the scores
   * @returns token-major context [rows * n, hidden]
   */
  selfAttention(layer: number, q: string, k: string, v: string, scale?: number): string;
  /**
   * Cross-attention of layer i to `past_key_values.{i}.encoder.*`, broadcast over each image's rows.
   * @param layer layer index
   * @param q token-major queries [rows * n, hidden]
   * @param scale factor on the scores
   * @returns token-major context [rows * n, hidden]
   */
  crossAttention(layer: number, q: string, scale?: number): string;
}

/**
 * Builds a `decoder_step` graph around a family's forward pass.
 * @param name graph name
 * @param geometry the decoder's attention geometry and vocabulary
 * @param weights the checkpoint's tensors
 * @param forward the family's pass: returns token-major logits [rows * n, vocab]
 * @param source checkpoint description for error messages
 * @returns the graph
 */
export function buildDecoderStep(
  name: string,
  geometry: DecoderGeometry,
  weights: ReadonlyMap<string, WeightTensor>,
  forward: (ctx: StepContext) => string,
  source?: string,
): GraphBuilder {
  const { layers, heads, headDim } = geometry;
  const b = new GraphBuilder({ name });
  const w = new GraphWeights(b, weights, source);
  const inputIds = b.input("input_ids", "int64", ["rows", "n"]);
  const pastKv: { key: string; value: string; encKey: string; encValue: string }[] = [];
  for (let i = 0; i < layers; i++) {
    const dec = ["rows", heads, "past", headDim];
    const enc = ["images", heads, "enc_seq", headDim];
    pastKv.push({
      key: b.input(`past_key_values.${i}.decoder.key`, "float32", dec),
      value: b.input(`past_key_values.${i}.decoder.value`, "float32", dec),
      encKey: b.input(`past_key_values.${i}.encoder.key`, "float32", enc),
      encValue: b.input(`past_key_values.${i}.encoder.value`, "float32", enc),
    });
  }
  const rowsN = b.shape(inputIds);
  const past = layers > 0 ? b.dim(pastKv[0].key, 2) : b.constI64([0]);
  const n = b.dim(inputIds, 1);
  let causal: string | undefined;
  const presents: { key: string; value: string }[] = [];
  const ctx: StepContext = {
    b,
    w,
    inputIds,
    rowsN,
    past,
    n,
    selfAttention(layer, q, k, v, scale) {
      causal ??= causalBias(b, past, n);
      const key = b.concat([pastKv[layer].key, splitHeads(b, k, rowsN, heads, headDim)], 2);
      const value = b.concat([pastKv[layer].value, splitHeads(b, v, rowsN, heads, headDim)], 2);
      presents[layer] = { key, value };
      const qh = splitHeads(b, q, rowsN, heads, headDim);
      return mergeHeads(b, attend(b, qh, key, value, { scale, biases: [causal] }), heads * headDim);
    },
    crossAttention(layer, q, scale) {
      const { encKey: k, encValue: v } = pastKv[layer];
      return crossAttendPerImage(b, { q, k, v, heads, headDim, scale });
    },
  };
  const logits = forward(ctx);
  const shape = b.concat([rowsN, b.constI64([geometry.vocab])], 0);
  b.output("logits", b.reshape(logits, shape), "float32", ["rows", "n", geometry.vocab]);
  for (let i = 0; i < layers; i++) {
    if (!presents[i]) throw new Error(`decoder ${name}: layer ${i} never called selfAttention`);
    const dims = ["rows", heads, "past_plus_n", headDim];
    b.output(`present.${i}.decoder.key`, presents[i].key, "float32", dims);
    b.output(`present.${i}.decoder.value`, presents[i].value, "float32", dims);
  }
  return b;
}
