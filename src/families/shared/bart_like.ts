/**
 * The config part BART (BartConfig) and MBart (MBartConfig) share, transformers v4.27: their
 * fields with Python's defaults, the derived `num_hidden_layers` (= encoder_layers) and the
 * normalised view (every LayerNorm has torch's eps 1e-5).
 * @module
 */
import {
  count,
  countOrZero,
  type FieldTable,
  LIMITS,
  NON_NEGATIVE,
  PROBABILITY,
  TOKEN_ID,
} from "../../config/config_fields.ts";
import { ACTIVATIONS } from "../../graph/activation.ts";
import type { NormalisedConfig } from "../../config/model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "../../config/pretrained_config.ts";

/** BartConfig fields (MBart has the same), Hugging Face names. */
export interface BartConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  max_position_embeddings: number;
  encoder_layers: number;
  encoder_ffn_dim: number;
  encoder_attention_heads: number;
  decoder_layers: number;
  decoder_ffn_dim: number;
  decoder_attention_heads: number;
  encoder_layerdrop: number;
  decoder_layerdrop: number;
  activation_function: string;
  d_model: number;
  dropout: number;
  attention_dropout: number;
  activation_dropout: number;
  init_std: number;
  classifier_dropout: number;
  scale_embedding: boolean;
  use_cache: boolean;
  /** Python sets it to encoder_layers. */
  num_hidden_layers: number;
}

/** The fields and Python defaults BART and MBart share (BART's own additions are in BART_FIELDS). */
export const BART_LIKE_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 50265, count(LIMITS.vocab)],
  max_position_embeddings: ["int", 1024, count(LIMITS.positions)],
  encoder_layers: ["int", 12, countOrZero(LIMITS.layers)],
  encoder_ffn_dim: ["int", 4096, countOrZero(LIMITS.width)],
  encoder_attention_heads: ["int", 16, countOrZero(LIMITS.layers)],
  decoder_layers: ["int", 12, count(LIMITS.layers)],
  decoder_ffn_dim: ["int", 4096, count(LIMITS.width)],
  decoder_attention_heads: ["int", 16, count(LIMITS.layers)],
  encoder_layerdrop: ["number", 0.0, PROBABILITY],
  decoder_layerdrop: ["number", 0.0, PROBABILITY],
  activation_function: ["string", "gelu", { oneOf: ACTIVATIONS }],
  d_model: ["int", 1024, count(LIMITS.width)],
  dropout: ["number", 0.1, PROBABILITY],
  attention_dropout: ["number", 0.0, PROBABILITY],
  activation_dropout: ["number", 0.0, PROBABILITY],
  init_std: ["number", 0.02, NON_NEGATIVE],
  classifier_dropout: ["number", 0.0, PROBABILITY],
  scale_embedding: ["bool", false],
  use_cache: ["bool", true],
  num_hidden_layers: ["int", 12, count(LIMITS.layers)],
  is_encoder_decoder: ["bool", true],
  pad_token_id: ["int?", 1, TOKEN_ID],
  bos_token_id: ["int?", 0, TOKEN_ID],
  eos_token_id: ["ids?", 2, TOKEN_ID],
  forced_eos_token_id: ["ids?", 2, TOKEN_ID],
};

/**
 * Python's derived field: num_hidden_layers = encoder_layers unless given.
 * @param f fields being built (mutated)
 * @param given the config dict as given
 */
export function deriveBartLike(
  f: Record<string, unknown>,
  given: Readonly<Record<string, unknown>>,
): void {
  f.num_hidden_layers = given.num_hidden_layers ?? f.encoder_layers;
}

/**
 * The normalised view of a BART-like model used as a causal decoder.
 * @param f validated fields
 * @returns the normalised config (without headDim)
 */
export function normaliseBartLike(f: BartConfigFields): Omit<NormalisedConfig, "headDim"> {
  return {
    hiddenSize: f.d_model,
    numHeads: f.decoder_attention_heads,
    numLayers: f.decoder_layers,
    intermediateSize: f.decoder_ffn_dim,
    layerNormEps: 1e-5,
    activation: f.activation_function,
    initializerRange: f.init_std,
    vocabSize: f.vocab_size,
    maxPositions: f.max_position_embeddings,
    imageSize: null,
    patchSize: null,
    numChannels: null,
  };
}
