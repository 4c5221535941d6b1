/**
 * BART (Lewis et al.; facebook/bart-large) config: `BartConfig` of transformers v4.27, with its
 * attribute_map (hidden_size -> d_model, num_attention_heads -> encoder_attention_heads). Used in a
 * VisionEncoderDecoder as BartForCausalLM, so the normalised heads/layers/FFN are the decoder's.
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig, NormalisedConfig } from "./model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "./pretrained_config.ts";

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
  vocab_size: ["int", 50265],
  max_position_embeddings: ["int", 1024],
  encoder_layers: ["int", 12],
  encoder_ffn_dim: ["int", 4096],
  encoder_attention_heads: ["int", 16],
  decoder_layers: ["int", 12],
  decoder_ffn_dim: ["int", 4096],
  decoder_attention_heads: ["int", 16],
  encoder_layerdrop: ["number", 0.0],
  decoder_layerdrop: ["number", 0.0],
  activation_function: ["string", "gelu"],
  d_model: ["int", 1024],
  dropout: ["number", 0.1],
  attention_dropout: ["number", 0.0],
  activation_dropout: ["number", 0.0],
  init_std: ["number", 0.02],
  classifier_dropout: ["number", 0.0],
  scale_embedding: ["bool", false],
  use_cache: ["bool", true],
  num_hidden_layers: ["int", 12],
  is_encoder_decoder: ["bool", true],
  pad_token_id: ["int?", 1],
  bos_token_id: ["int?", 0],
  eos_token_id: ["ids?", 2],
  forced_eos_token_id: ["ids?", 2],
};

/** BartConfig's fields and Python defaults (num_labels=3, decoder_start_token_id=2). */
export const BART_FIELDS: FieldTable = {
  ...BART_LIKE_FIELDS,
  decoder_start_token_id: ["int?", 2],
  id2label: ["json", { "0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2" }],
  label2id: ["json", { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 }],
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

/** The BART family (`model_type` "bart"). */
export const BART_FAMILY: ConfigFamily<BartConfigFields> = {
  modelType: "bart",
  role: "decoder",
  pythonClass: "BartConfig",
  fields: BART_FIELDS,
  attributeMap: { num_attention_heads: "encoder_attention_heads", hidden_size: "d_model" },
  derive(f, given): void {
    deriveBartLike(f, given);
    // Python: backward compatibility for BART CNN checkpoints.
    if (f.forced_bos_token_id === null && given.force_bos_token_to_be_generated === true) {
      f.forced_bos_token_id = f.bos_token_id;
    }
  },
  normalise: normaliseBartLike,
};

/** A parsed BART config. */
export type BartConfig = ModelConfig<BartConfigFields>;
