/**
 * ViT (Dosovitskiy et al., "An Image is Worth 16x16 Words"; google/vit-base-patch16-224) config:
 * `ViTConfig` of transformers v4.27, field names and defaults as in configuration_vit.py.
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import {
  type ConfigFamily,
  type ModelConfig,
  type NormalisedConfig,
  toPair,
} from "./model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "./pretrained_config.ts";

/** The fields ViT-like encoders (ViT, DeiT, BEiT) share. */
export interface ViTLikeFields extends PretrainedConfigFields {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  initializer_range: number;
  layer_norm_eps: number;
  image_size: number | [number, number];
  patch_size: number | [number, number];
  num_channels: number;
}

/** ViTConfig fields, Hugging Face names. */
export interface ViTConfigFields extends ViTLikeFields {
  qkv_bias: boolean;
  encoder_stride: number;
}

/** ViTConfig's fields and Python defaults. */
export const VIT_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
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
  qkv_bias: ["bool", true],
  encoder_stride: ["int", 16],
};

/**
 * The normalised view shared by ViT, DeiT and BEiT.
 * @param f validated fields
 * @returns the normalised config (without headDim)
 */
export function normaliseViTLike(f: ViTLikeFields): Omit<NormalisedConfig, "headDim"> {
  return {
    hiddenSize: f.hidden_size,
    numHeads: f.num_attention_heads,
    numLayers: f.num_hidden_layers,
    intermediateSize: f.intermediate_size,
    layerNormEps: f.layer_norm_eps,
    activation: f.hidden_act,
    initializerRange: f.initializer_range,
    vocabSize: null,
    maxPositions: null,
    imageSize: toPair(f.image_size),
    patchSize: toPair(f.patch_size),
    numChannels: f.num_channels,
  };
}

/** The ViT family (`model_type` "vit"). */
export const VIT_FAMILY: ConfigFamily<ViTConfigFields> = {
  modelType: "vit",
  role: "encoder",
  pythonClass: "ViTConfig",
  fields: VIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
};

/** A parsed ViT config. */
export type ViTConfig = ModelConfig<ViTConfigFields>;
