/**
 * MBart decoder (Liu et al. 2020, "Multilingual Denoising Pre-training for Neural Machine
 * Translation"; model card facebook/mbart-large-cc25, and the decoder of Donut,
 * naver-clova-ix/donut-base; transformers v4.27 configuration_mbart.py and modeling_mbart.py,
 * MBartForCausalLM): BART's decoder (shared/bart_layers.ts) with pre-LayerNorm layers
 * (x + self-attention(self_attn_layer_norm(x)), then + cross-attention(encoder_attn_layer_norm(.)),
 * then + fc2(act(fc1(final_layer_norm(.))))) and a final `model.decoder.layer_norm`; BART's
 * config fields and defaults.
 *
 * Checkpoint names (prefix "decoder."): BART's plus `model.decoder.layer_norm.*`.
 * @module
 */
import type { ModelConfig } from "../config/model_config.ts";
import type { DecoderFamily } from "./family.ts";
import {
  BART_LIKE_FIELDS,
  type BartConfigFields,
  deriveBartLike,
  normaliseBartLike,
} from "./shared/bart_like.ts";
import {
  bartCrossKv,
  bartLikeWeightSpecs,
  type BartVariant,
  buildBartDecoderStep,
} from "./shared/bart_layers.ts";

/** MBartConfig fields: BART's. */
export type MBartConfigFields = BartConfigFields;

/** MBart's layout. */
const MBART_VARIANT: BartVariant = { name: "mbart", preLayerNorm: true };

/** The MBart family (`model_type` "mbart"). */
export const MBART_FAMILY: DecoderFamily<MBartConfigFields> = {
  modelType: "mbart",
  role: "decoder",
  pythonClass: "MBartConfig",
  modelClass: "MBartForCausalLM",
  basePrefix: "model",
  cacheNaming: "seq2seq",
  fields: BART_LIKE_FIELDS,
  attributeMap: { num_attention_heads: "encoder_attention_heads", hidden_size: "d_model" },
  derive: deriveBartLike,
  normalise: normaliseBartLike,
  weightSpecs: (f, o) => bartLikeWeightSpecs(MBART_VARIANT, f, o),
  crossKv: bartCrossKv,
  decoderStep: (f, w, o) => buildBartDecoderStep(MBART_VARIANT, f, w, o),
};

/** A parsed MBart config. */
export type MBartConfig = ModelConfig<MBartConfigFields>;
