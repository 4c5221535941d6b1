/**
 * MBart decoder (Liu et al. 2020, "Multilingual Denoising Pre-training for Neural Machine
 * Translation"; model card facebook/mbart-large-cc25, and the decoder of Donut,
 * naver-clova-ix/donut-base; transformers v4.27 modeling_mbart.py, MBartForCausalLM), for vedge's
 * own `cross_kv` and `decoder_step` graphs (contract in decoder_step.ts and cross_kv.ts).
 *
 * BART's decoder (bart.ts builds it) with pre-LayerNorm layers (MBartDecoderLayer:
 * x + self-attention(self_attn_layer_norm(x)), then + cross-attention(encoder_attn_layer_norm(.)),
 * then + fc2(act(fc1(final_layer_norm(.))))) and a final `model.decoder.layer_norm` after the
 * last layer; embeddings are BART's (scale_embedding, learned positions with offset 2,
 * layernorm_embedding). Logits: `lm_head` (no bias), tied to embed_tokens when
 * tie_word_embeddings.
 *
 * Checkpoint names (prefix "decoder."): BART's (see bart.ts) plus `model.decoder.layer_norm.*`.
 * @module
 */

import type { GraphBuilder } from "../graph/builder.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import type { DecoderGraphOptions } from "./gpt2.ts";
import {
  type BartDecoderFields,
  bartLikeWeightSpecs,
  type BartVariant,
  buildBartDecoderStep,
} from "./bart.ts";
import type { WeightSpec, WeightSpecOptions } from "./weight_specs.ts";

/** MBart's layout. */
export const MBART_VARIANT: BartVariant = { name: "mbart", preLayerNorm: true };

/**
 * Builds the MBart `decoder_step` graph.
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildMBartDecoderStep(
  f: BartDecoderFields,
  weights: ReadonlyMap<string, WeightTensor>,
  options: DecoderGraphOptions = {},
): GraphBuilder {
  return buildBartDecoderStep(f, weights, options, MBART_VARIANT);
}

/**
 * The checkpoint tensors of an MBartForCausalLM: BART's plus the final `layer_norm`.
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function weightSpecs(f: BartDecoderFields, options: WeightSpecOptions = {}): WeightSpec[] {
  return bartLikeWeightSpecs(f, options, MBART_VARIANT);
}
