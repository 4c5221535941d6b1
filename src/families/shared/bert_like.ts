/**
 * The config part BERT (BertConfig) and RoBERTa (RobertaConfig, a BertConfig subclass) share,
 * transformers v4.27: their fields with BertConfig's defaults (RoBERTa overrides a few) and the
 * normalised view.
 * @module
 */
import {
  count,
  type FieldTable,
  LIMITS,
  NON_NEGATIVE,
  PROBABILITY,
  TOKEN_ID,
} from "../../config/config_fields.ts";
import { ACTIVATIONS } from "../../graph/activation.ts";
import type { NormalisedConfig } from "../../config/model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "../../config/pretrained_config.ts";

/** BertConfig fields (RoBERTa has the same), Hugging Face names. */
export interface BertConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  position_embedding_type: string;
  use_cache: boolean;
  classifier_dropout: number | null;
}

/** BertConfig's fields and Python defaults. */
export const BERT_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 30522, count(LIMITS.vocab)],
  hidden_size: ["int", 768, count(LIMITS.width)],
  num_hidden_layers: ["int", 12, count(LIMITS.layers)],
  num_attention_heads: ["int", 12, count(LIMITS.layers)],
  intermediate_size: ["int", 3072, count(LIMITS.width)],
  hidden_act: ["string", "gelu", { oneOf: ACTIVATIONS }],
  hidden_dropout_prob: ["number", 0.1, PROBABILITY],
  attention_probs_dropout_prob: ["number", 0.1, PROBABILITY],
  max_position_embeddings: ["int", 512, count(LIMITS.positions)],
  type_vocab_size: ["int", 2, count(LIMITS.vocab)],
  initializer_range: ["number", 0.02, NON_NEGATIVE],
  layer_norm_eps: ["number", 1e-12, NON_NEGATIVE],
  pad_token_id: ["int?", 0, TOKEN_ID],
  position_embedding_type: ["string", "absolute"],
  use_cache: ["bool", true],
  classifier_dropout: ["number?", null, PROBABILITY],
};

/**
 * The normalised view of BERT-like decoders.
 * @param f validated fields
 * @param maxPositions usable positions (RoBERTa loses pad_token_id + 1 of them)
 * @returns the normalised config (without headDim)
 */
export function normaliseBertLike(
  f: BertConfigFields,
  maxPositions: number,
): Omit<NormalisedConfig, "headDim"> {
  return {
    hiddenSize: f.hidden_size,
    numHeads: f.num_attention_heads,
    numLayers: f.num_hidden_layers,
    intermediateSize: f.intermediate_size,
    layerNormEps: f.layer_norm_eps,
    activation: f.hidden_act,
    initializerRange: f.initializer_range,
    vocabSize: f.vocab_size,
    maxPositions,
    imageSize: null,
    patchSize: null,
    numChannels: null,
  };
}
