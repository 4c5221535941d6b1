/**
 * The config part Swin (SwinConfig) and Donut's Swin (DonutSwinConfig) share, transformers v4.27:
 * their common fields with Python's defaults, the derived `num_layers` (stages) and `hidden_size`
 * (embed_dim * 2^(stages - 1), the last stage's width), and the normalised view.
 * @module
 */
import { ModelLoadError } from "../../errors.ts";
import {
  count,
  type FieldTable,
  LIMITS,
  NON_NEGATIVE,
  POSITIVE,
  PROBABILITY,
} from "../../config/config_fields.ts";
import { ACTIVATIONS } from "../../graph/activation.ts";
import { type NormalisedConfig, toPair } from "../../config/model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "../../config/pretrained_config.ts";

/** The fields Swin and Donut's Swin share. */
export interface SwinLikeFields extends PretrainedConfigFields {
  image_size: number | [number, number];
  patch_size: number | [number, number];
  num_channels: number;
  embed_dim: number;
  depths: number[];
  num_heads: number[];
  window_size: number;
  mlp_ratio: number;
  qkv_bias: boolean;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  drop_path_rate: number;
  hidden_act: string;
  use_absolute_embeddings: boolean;
  initializer_range: number;
  layer_norm_eps: number;
  /** Derived: number of stages. */
  num_layers: number;
  /** Derived: width after the last stage. */
  hidden_size: number;
}

/** The fields and Python defaults Swin and Donut's Swin share. */
export const SWIN_LIKE_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  image_size: ["size", 224, count(LIMITS.image)],
  patch_size: ["size", 4, count(LIMITS.image)],
  num_channels: ["int", 3, count(LIMITS.channels)],
  embed_dim: ["int", 96, count(LIMITS.width)],
  depths: ["int[]", [2, 2, 6, 2], count(LIMITS.layers)],
  num_heads: ["int[]", [3, 6, 12, 24], count(LIMITS.layers)],
  window_size: ["int", 7, count(LIMITS.image)],
  mlp_ratio: ["number", 4.0, POSITIVE],
  qkv_bias: ["bool", true],
  hidden_dropout_prob: ["number", 0.0, PROBABILITY],
  attention_probs_dropout_prob: ["number", 0.0, PROBABILITY],
  drop_path_rate: ["number", 0.1, PROBABILITY],
  hidden_act: ["string", "gelu", { oneOf: ACTIVATIONS }],
  use_absolute_embeddings: ["bool", false],
  initializer_range: ["number", 0.02, NON_NEGATIVE],
  layer_norm_eps: ["number", 1e-5, NON_NEGATIVE],
  num_layers: ["int", 4, count(LIMITS.layers)],
  hidden_size: ["int", 768, count(LIMITS.width)],
};

/**
 * Python's derived Swin fields: num_layers = len(depths), hidden_size = embed_dim * 2^(n-1).
 * @param f fields being built (mutated)
 */
export function deriveSwinLike(f: Record<string, unknown>): void {
  const depths = f.depths as number[];
  const heads = f.num_heads as number[];
  if (depths.length === 0 || depths.length !== heads.length) {
    throw new ModelLoadError(
      `Cannot read Swin config: depths ${JSON.stringify(depths)} and num_heads ` +
        `${JSON.stringify(heads)} must be non-empty and of equal length`,
    );
  }
  f.num_layers = depths.length;
  f.hidden_size = Math.trunc((f.embed_dim as number) * 2 ** (depths.length - 1));
}

/**
 * The normalised view of a Swin-like encoder (the last stage's width, heads and MLP).
 * @param f validated fields
 * @returns the normalised config (without headDim)
 */
export function normaliseSwinLike(f: SwinLikeFields): Omit<NormalisedConfig, "headDim"> {
  return {
    hiddenSize: f.hidden_size,
    numHeads: f.num_heads[f.num_heads.length - 1],
    numLayers: f.num_layers,
    intermediateSize: Math.trunc(f.mlp_ratio * f.hidden_size),
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
