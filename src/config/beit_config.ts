/**
 * BEiT (Bao et al., "BERT Pre-Training of Image Transformers"; microsoft/beit-base-patch16-224,
 * TrOCR's encoder) config: `BeitConfig` of transformers v4.27 (configuration_beit.py).
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import { PRETRAINED_FIELDS } from "./pretrained_config.ts";
import { normaliseViTLike, type ViTLikeFields } from "./vit_config.ts";

/** BeitConfig fields, Hugging Face names. */
export interface BeitConfigFields extends ViTLikeFields {
  vocab_size: number;
  use_mask_token: boolean;
  use_absolute_position_embeddings: boolean;
  use_relative_position_bias: boolean;
  use_shared_relative_position_bias: boolean;
  layer_scale_init_value: number;
  drop_path_rate: number;
  use_mean_pooling: boolean;
  out_indices: number[];
  pool_scales: number[];
  use_auxiliary_head: boolean;
  auxiliary_loss_weight: number;
  auxiliary_channels: number;
  auxiliary_num_convs: number;
  auxiliary_concat_input: boolean;
  semantic_loss_ignore_index: number;
}

/** BeitConfig's fields and Python defaults. */
export const BEIT_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 8192],
  hidden_size: ["int", 768],
  num_hidden_layers: ["int", 12],
  num_attention_heads: ["int", 12],
  intermediate_size: ["int", 3072],
  hidden_act: ["string", "gelu"],
  hidden_dropout_prob: ["number", 0.0],
  attention_probs_dropout_prob: ["number", 0.0],
  initializer_range: ["number", 0.02],
  layer_norm_eps: ["number", 1e-12],
  image_size: ["size", 224],
  patch_size: ["size", 16],
  num_channels: ["int", 3],
  use_mask_token: ["bool", false],
  use_absolute_position_embeddings: ["bool", false],
  use_relative_position_bias: ["bool", false],
  use_shared_relative_position_bias: ["bool", false],
  layer_scale_init_value: ["number", 0.1],
  drop_path_rate: ["number", 0.1],
  use_mean_pooling: ["bool", true],
  out_indices: ["int[]", [3, 5, 7, 11]],
  pool_scales: ["int[]", [1, 2, 3, 6]],
  use_auxiliary_head: ["bool", true],
  auxiliary_loss_weight: ["number", 0.4],
  auxiliary_channels: ["int", 256],
  auxiliary_num_convs: ["int", 1],
  auxiliary_concat_input: ["bool", false],
  semantic_loss_ignore_index: ["int", 255],
};

/** The BEiT family (`model_type` "beit"). */
export const BEIT_FAMILY: ConfigFamily<BeitConfigFields> = {
  modelType: "beit",
  role: "encoder",
  pythonClass: "BeitConfig",
  fields: BEIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
};

/** A parsed BEiT config. */
export type BeitConfig = ModelConfig<BeitConfigFields>;
