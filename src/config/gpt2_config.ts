/**
 * GPT-2 (Radford et al., "Language Models are Unsupervised Multitask Learners"; gpt2,
 * the decoder of nlpconnect/vit-gpt2-image-captioning) config: `GPT2Config` of transformers
 * v4.27, with its attribute_map (hidden_size -> n_embd, num_attention_heads -> n_head,
 * num_hidden_layers -> n_layer, max_position_embeddings -> n_positions).
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "./pretrained_config.ts";

/** GPT2Config fields, Hugging Face names. */
export interface GPT2ConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** Feed-forward width; null means 4 * n_embd. */
  n_inner: number | null;
  activation_function: string;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  summary_type: string;
  summary_use_proj: boolean;
  summary_activation: string | null;
  summary_proj_to_labels: boolean;
  summary_first_dropout: number;
  scale_attn_weights: boolean;
  use_cache: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
}

/** GPT2Config's fields and Python defaults. */
export const GPT2_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 50257],
  n_positions: ["int", 1024],
  n_embd: ["int", 768],
  n_layer: ["int", 12],
  n_head: ["int", 12],
  n_inner: ["int?", null],
  activation_function: ["string", "gelu_new"],
  resid_pdrop: ["number", 0.1],
  embd_pdrop: ["number", 0.1],
  attn_pdrop: ["number", 0.1],
  layer_norm_epsilon: ["number", 1e-5],
  initializer_range: ["number", 0.02],
  summary_type: ["string", "cls_index"],
  summary_use_proj: ["bool", true],
  summary_activation: ["string?", null],
  summary_proj_to_labels: ["bool", true],
  summary_first_dropout: ["number", 0.1],
  scale_attn_weights: ["bool", true],
  use_cache: ["bool", true],
  bos_token_id: ["int?", 50256],
  eos_token_id: ["ids?", 50256],
  scale_attn_by_inverse_layer_idx: ["bool", false],
  reorder_and_upcast_attn: ["bool", false],
};

/** The GPT2 family (`model_type` "gpt2"). */
export const GPT2_FAMILY: ConfigFamily<GPT2ConfigFields> = {
  modelType: "gpt2",
  role: "decoder",
  pythonClass: "GPT2Config",
  fields: GPT2_FIELDS,
  attributeMap: {
    hidden_size: "n_embd",
    max_position_embeddings: "n_positions",
    num_attention_heads: "n_head",
    num_hidden_layers: "n_layer",
  },
  normalise: (f) => ({
    hiddenSize: f.n_embd,
    numHeads: f.n_head,
    numLayers: f.n_layer,
    intermediateSize: f.n_inner ?? 4 * f.n_embd,
    layerNormEps: f.layer_norm_epsilon,
    activation: f.activation_function,
    initializerRange: f.initializer_range,
    vocabSize: f.vocab_size,
    maxPositions: f.n_positions,
    imageSize: null,
    patchSize: null,
    numChannels: null,
  }),
};

/** A parsed GPT2 config. */
export type GPT2Config = ModelConfig<GPT2ConfigFields>;
