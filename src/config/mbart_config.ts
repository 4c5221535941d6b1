/**
 * mBART (Liu et al., "Multilingual Denoising Pre-training"; facebook/mbart-large-cc25, Donut's
 * decoder) config: `MBartConfig` of transformers v4.27: BART's fields, no default
 * decoder_start_token_id, two labels. Used as MBartForCausalLM in a VisionEncoderDecoder.
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import {
  BART_LIKE_FIELDS,
  type BartConfigFields,
  deriveBartLike,
  normaliseBartLike,
} from "./bart_config.ts";

/** MBartConfig fields (BART's), Hugging Face names. */
export type MBartConfigFields = BartConfigFields;

/** MBartConfig's fields and Python defaults. */
export const MBART_FIELDS: FieldTable = BART_LIKE_FIELDS;

/** The MBart family (`model_type` "mbart"). */
export const MBART_FAMILY: ConfigFamily<MBartConfigFields> = {
  modelType: "mbart",
  role: "decoder",
  pythonClass: "MBartConfig",
  fields: MBART_FIELDS,
  attributeMap: { num_attention_heads: "encoder_attention_heads", hidden_size: "d_model" },
  derive: deriveBartLike,
  normalise: normaliseBartLike,
};

/** A parsed MBart config. */
export type MBartConfig = ModelConfig<MBartConfigFields>;
