/**
 * ViT encoder (Dosovitskiy et al. 2020, "An Image is Worth 16x16 Words"; model card
 * google/vit-base-patch16-224-in21k; transformers v4.27 modeling_vit.py), as the encoder of a
 * VisionEncoderDecoderModel. Emits the graph `encoder_model`:
 * `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state` float32 [batch, 1 + patches, hidden]
 * (ViTModel's output 0, after the final `layernorm`; the pooler is not used by
 * VisionEncoderDecoder). Position embeddings are not interpolated: like Python without
 * `interpolate_pos_encoding`, the input must be exactly `image_size`.
 *
 * Checkpoint names (prefix "encoder." inside VisionEncoderDecoder checkpoints):
 * `embeddings.cls_token`, `embeddings.position_embeddings`,
 * `embeddings.patch_embeddings.projection.{weight,bias}`,
 * `encoder.layer.{i}.{layernorm_before,layernorm_after}.{weight,bias}`,
 * `encoder.layer.{i}.attention.attention.{query,key,value}.{weight,bias}`,
 * `encoder.layer.{i}.attention.output.dense.*`, `encoder.layer.{i}.intermediate.dense.*`,
 * `encoder.layer.{i}.output.dense.*`, `layernorm.{weight,bias}`.
 *
 * Config: `ViTConfig` of transformers v4.27 (configuration_vit.py), field names and defaults.
 * The layers are shared with the other ViT-like encoders (shared/vit_layers.ts).
 * @module
 */

import {
  count,
  type FieldTable,
  LIMITS,
  NON_NEGATIVE,
  PROBABILITY,
} from "../config/config_fields.ts";
import { ACTIVATIONS } from "../graph/activation.ts";
import { type ModelConfig, type NormalisedConfig, toPair } from "../config/model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "../config/pretrained_config.ts";
import { GraphBuilder } from "../graph/builder.ts";
import { GraphWeights } from "../graph/graph_weights.ts";
import type { EncoderFamily, GraphOptions, Weights } from "./family.ts";
import {
  finishEncoder,
  imageGeometry,
  imageInput,
  patchEmbeddings,
  prependTokens,
  vitLayer,
  type VitLayerShape,
  vitLayerSpecs,
} from "./shared/vit_layers.ts";
import {
  layerNormSpecs,
  linearSpecs,
  param,
  truncNormalInit,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./shared/weight_specs.ts";

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

/** The fields and Python defaults ViT-like configs (ViT, DeiT, BEiT) share. */
export const VIT_LIKE_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  hidden_size: ["int", 768, count(LIMITS.width)],
  num_hidden_layers: ["int", 12, count(LIMITS.layers)],
  num_attention_heads: ["int", 12, count(LIMITS.layers)],
  intermediate_size: ["int", 3072, count(LIMITS.width)],
  hidden_act: ["string", "gelu", { oneOf: ACTIVATIONS }],
  hidden_dropout_prob: ["number", 0.0, PROBABILITY],
  attention_probs_dropout_prob: ["number", 0.0, PROBABILITY],
  initializer_range: ["number", 0.02, NON_NEGATIVE],
  layer_norm_eps: ["number", 1e-12, NON_NEGATIVE],
  image_size: ["size", 224, count(LIMITS.image)],
  patch_size: ["size", 16, count(LIMITS.image)],
  num_channels: ["int", 3, count(LIMITS.channels)],
};

/** ViTConfig's fields and Python defaults. */
export const VIT_FIELDS: FieldTable = {
  ...VIT_LIKE_FIELDS,
  qkv_bias: ["bool", true],
  encoder_stride: ["int", 16, count(LIMITS.image)],
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

/**
 * What differs between the ViT-like encoders with plain pre-LayerNorm layers (ViT, DeiT): the
 * graph's name, the learned tokens put before the patches, and how a fresh model initialises those
 * tokens and the position table.
 */
export interface VitVariant {
  /** The graph's name. */
  readonly graphName: string;
  /** `embeddings.<name>` of each token before the patches, in order (ViT: cls_token). */
  readonly tokens: readonly string[];
  /** Init of the tokens and of `position_embeddings`: ViT trunc_normal, DeiT zeros. */
  readonly tokenInit: "trunc_normal" | "zeros";
}

/** ViT: one CLS token. */
export const VIT_VARIANT: VitVariant = {
  graphName: "vit_encoder",
  tokens: ["cls_token"],
  tokenInit: "trunc_normal",
};

/**
 * Builds the `encoder_model` graph of a ViT-like encoder.
 * @param variant what differs (tokens, name)
 * @param fields the encoder's config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph (call `toBytes()` for the ONNX model)
 */
export function buildVitLikeEncoder(
  variant: VitVariant,
  fields: ViTConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  const pre = options.prefix ?? "encoder.";
  const b = new GraphBuilder({ name: variant.graphName });
  const w = new GraphWeights(b, weights, options.source);
  const g = imageGeometry(fields);
  const hidden = fields.hidden_size;
  const seq = g.patches + variant.tokens.length;
  const pixels = imageInput(b, g);
  const patches = patchEmbeddings(
    b,
    w,
    pixels,
    `${pre}embeddings.patch_embeddings.projection`,
    g,
    hidden,
  );
  // ViTEmbeddings / DeiTEmbeddings.forward: cat((tokens..., embeddings), dim=1) + positions
  const tokens = variant.tokens.map((t) => w.f32(`${pre}embeddings.${t}`, [1, 1, hidden]));
  const embedded = b.add(
    prependTokens(b, patches, tokens, hidden),
    w.f32(`${pre}embeddings.position_embeddings`, [1, seq, hidden]),
  );
  const batchSeq = b.concat([b.dim(pixels, 0), b.constI64([seq])], 0);
  let x = b.reshape(embedded, [-1, hidden]);
  const shape: VitLayerShape = {
    hidden,
    heads: fields.num_attention_heads,
    intermediate: fields.intermediate_size,
    eps: fields.layer_norm_eps,
    act: fields.hidden_act,
    batchSeq,
  };
  const qkvBias = fields.qkv_bias;
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    x = b.withScope(
      `layer.${i}`,
      () =>
        vitLayer(b, w, `${pre}encoder.layer.${i}`, x, shape, { keyBias: qkvBias, qvBias: qkvBias }),
    );
  }
  x = b.layerNorm(
    x,
    w.f32(`${pre}layernorm.weight`, [hidden]),
    w.f32(`${pre}layernorm.bias`, [hidden]),
    fields.layer_norm_eps,
  );
  finishEncoder(b, x, batchSeq, seq, hidden);
  return b;
}

/**
 * The checkpoint tensors of a ViT-like model (add_pooling_layer=True, as VisionEncoderDecoder
 * builds it; the pooler is unused by the graphs but present in checkpoints). v4.27's
 * _init_weights: trunc_normal(initializer_range) for Linear/Conv2d weights, zero biases, unit
 * LayerNorms; ViT's embeddings branch also draws the tokens and `position_embeddings` from
 * trunc_normal, while DeiT has no such branch and keeps the zeros they are created as.
 * @param variant what differs (tokens and their init)
 * @param fields the encoder's config fields
 * @param options name prefix (default "encoder.")
 * @returns the specs
 */
export function vitLikeWeightSpecs(
  variant: VitVariant,
  fields: ViTConfigFields,
  options: WeightSpecOptions = {},
): WeightSpec[] {
  const pre = options.prefix ?? "encoder.";
  const g = imageGeometry(fields);
  const h = fields.hidden_size;
  const init = truncNormalInit(fields.initializer_range);
  const tokenInit = variant.tokenInit === "zeros" ? ZEROS : init;
  const qkvBias = fields.qkv_bias;
  const specs: WeightSpec[] = [
    ...variant.tokens.map((t) => param(`${pre}embeddings.${t}`, [1, 1, h], tokenInit)),
    param(
      `${pre}embeddings.position_embeddings`,
      [1, g.patches + variant.tokens.length, h],
      tokenInit,
    ),
    ...linearSpecs(
      `${pre}embeddings.patch_embeddings.projection`,
      [h, g.channels, ...g.patch],
      init,
    ),
  ];
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    specs.push(...vitLayerSpecs(`${pre}encoder.layer.${i}`, {
      hidden: h,
      intermediate: fields.intermediate_size,
      keyBias: qkvBias,
      qvBias: qkvBias,
      init,
    }));
  }
  specs.push(...layerNormSpecs(`${pre}layernorm`, h));
  specs.push(...linearSpecs(`${pre}pooler.dense`, [h, h], init));
  return specs;
}

/** The ViT family (`model_type` "vit"): config, checkpoint tensors and encoder graph. */
export const VIT_FAMILY: EncoderFamily<ViTConfigFields> = {
  modelType: "vit",
  role: "encoder",
  pythonClass: "ViTConfig",
  modelClass: "ViTModel",
  basePrefix: "vit",
  fields: VIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
  weightSpecs: (f, o) => vitLikeWeightSpecs(VIT_VARIANT, f, o),
  encoder: (f, w, o) => buildVitLikeEncoder(VIT_VARIANT, f, w, o),
};

/** A parsed ViT config. */
export type ViTConfig = ModelConfig<ViTConfigFields>;
