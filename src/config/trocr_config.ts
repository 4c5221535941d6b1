/**
 * TrOCR decoder (Li et al., "TrOCR: Transformer-based Optical Character Recognition";
 * microsoft/trocr-base-handwritten) config: `TrOCRConfig` of transformers v4.27, with its
 * attribute_map (hidden_size -> d_model, num_attention_heads -> decoder_attention_heads,
 * num_hidden_layers -> decoder_layers). LayerNorms use torch's default epsilon 1e-5.
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "./pretrained_config.ts";

/** TrOCRConfig fields, Hugging Face names. */
export interface TrOCRConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  decoder_ffn_dim: number;
  activation_function: string;
  max_position_embeddings: number;
  dropout: number;
  attention_dropout: number;
  activation_dropout: number;
  init_std: number;
  decoder_layerdrop: number;
  use_cache: boolean;
  scale_embedding: boolean;
  use_learned_position_embeddings: boolean;
  layernorm_embedding: boolean;
}

/** TrOCRConfig's fields and Python defaults. */
export const TROCR_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 50265],
  d_model: ["int", 1024],
  decoder_layers: ["int", 12],
  decoder_attention_heads: ["int", 16],
  decoder_ffn_dim: ["int", 4096],
  activation_function: ["string", "gelu"],
  max_position_embeddings: ["int", 512],
  dropout: ["number", 0.1],
  attention_dropout: ["number", 0.0],
  activation_dropout: ["number", 0.0],
  decoder_start_token_id: ["int?", 2],
  init_std: ["number", 0.02],
  decoder_layerdrop: ["number", 0.0],
  use_cache: ["bool", true],
  scale_embedding: ["bool", false],
  use_learned_position_embeddings: ["bool", true],
  layernorm_embedding: ["bool", true],
  pad_token_id: ["int?", 1],
  bos_token_id: ["int?", 0],
  eos_token_id: ["ids?", 2],
};

/** The TrOCR family (`model_type` "trocr"). */
export const TROCR_FAMILY: ConfigFamily<TrOCRConfigFields> = {
  modelType: "trocr",
  role: "decoder",
  pythonClass: "TrOCRConfig",
  fields: TROCR_FIELDS,
  attributeMap: {
    num_attention_heads: "decoder_attention_heads",
    hidden_size: "d_model",
    num_hidden_layers: "decoder_layers",
  },
  normalise: (f) => ({
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
  }),
};

/** A parsed TrOCR config. */
export type TrOCRConfig = ModelConfig<TrOCRConfigFields>;
