/**
 * RoBERTa decoder with cross-attention (Liu et al. 2019, "RoBERTa: A Robustly Optimized BERT
 * Pretraining Approach"; model card roberta-base, used as a VisionEncoderDecoder decoder with
 * is_decoder and add_cross_attention; transformers v4.27 modeling_roberta.py, RobertaForCausalLM),
 * for vedge's own `cross_kv` and `decoder_step` graphs (contract in decoder_step.ts and
 * cross_kv.ts). The network is BERT's (bert.ts builds it) with three differences:
 * - positions (create_position_ids_from_input_ids): (cumsum(ids != pad) + past) * (ids != pad) +
 *   padding_idx, so the first real token sits at padding_idx + 1 and pads at padding_idx;
 * - weights under `roberta.` instead of `bert.`;
 * - the head RobertaLMHead: layer_norm(gelu(dense(x))) @ decoder.weight^T + bias, with gelu (erf)
 *   whatever hidden_act says.
 *
 * Checkpoint names (prefix "decoder."): `roberta.embeddings.*` and `roberta.encoder.layer.{i}.*`
 * as BERT's (see bert.ts), `lm_head.dense.*`, `lm_head.layer_norm.*`, `lm_head.bias`,
 * `lm_head.decoder.weight` (tied to word_embeddings when tie_word_embeddings),
 * `lm_head.decoder.bias` (the same Parameter as `lm_head.bias`).
 * @module
 */

import type { GraphBuilder } from "../graph/builder.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import type { CrossKvProjector } from "./cross_kv.ts";
import type { DecoderGraphOptions } from "./gpt2.ts";
import {
  BERT_DEFAULTS,
  bertCrossKv,
  type BertDecoderFields,
  bertLikeWeightSpecs,
  type BertVariant,
  buildBertDecoderStep,
} from "./bert.ts";
import type { WeightSpec, WeightSpecOptions } from "./weight_specs.ts";

/** RobertaConfig's Python defaults for the fields the graphs read. */
export const ROBERTA_DEFAULTS: BertDecoderFields = {
  ...BERT_DEFAULTS,
  vocab_size: 50265,
  pad_token_id: 1,
};

/** RoBERTa's names and rules. */
export const ROBERTA_VARIANT: BertVariant = {
  family: "RoBERTa",
  base: "roberta",
  positions: "padding",
  head: "lm_head",
};

/**
 * The cross-attention K/V projections (`roberta.encoder.layer.{i}.crossattention.self.key|value`).
 * @param f config fields
 * @param options weight prefix
 * @returns the projector for buildCrossKv
 */
export function robertaCrossKv(
  f: BertDecoderFields,
  options: DecoderGraphOptions = {},
): CrossKvProjector {
  return bertCrossKv(f, options, ROBERTA_VARIANT);
}

/**
 * Builds the RoBERTa `decoder_step` graph.
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildRobertaDecoderStep(
  f: BertDecoderFields,
  weights: ReadonlyMap<string, WeightTensor>,
  options: DecoderGraphOptions = {},
): GraphBuilder {
  return buildBertDecoderStep(f, weights, options, ROBERTA_VARIANT);
}

/**
 * The checkpoint tensors of a RobertaForCausalLM with cross-attention: BERT's body under
 * `roberta.` (position_embeddings is an nn.Embedding with padding_idx, so its pad row starts
 * zeroed), and the `lm_head.*` head.
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function weightSpecs(f: BertDecoderFields, options: WeightSpecOptions = {}): WeightSpec[] {
  return bertLikeWeightSpecs(f, options, ROBERTA_VARIANT);
}
