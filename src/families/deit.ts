/**
 * DeiT encoder (Touvron et al. 2020, "Training data-efficient image transformers & distillation
 * through attention"; model card facebook/deit-base-distilled-patch16-224, the encoder of
 * microsoft/trocr-small-*; transformers v4.27 modeling_deit.py, DeiTModel), as the encoder of a
 * VisionEncoderDecoderModel. Emits the graph `encoder_model`:
 * `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state` float32
 * [batch, 2 + patches, hidden]: DeiTModel's output 0, after the final `layernorm`, keeping both
 * the CLS and the distillation token (VisionEncoderDecoder cross-attends to the whole sequence).
 *
 * Differences from ViT: a `distillation_token` after `cls_token`, so the position table has
 * patches + 2 rows, and a fresh model keeps those tokens and positions at zero; the config
 * (`DeiTConfig`) has ViTConfig's fields and defaults; the graph and layers are ViT's.
 *
 * Checkpoint names (prefix "encoder." inside VisionEncoderDecoder checkpoints):
 * `embeddings.cls_token`, `embeddings.distillation_token`, `embeddings.position_embeddings`,
 * `embeddings.patch_embeddings.projection.{weight,bias}`,
 * `encoder.layer.{i}.{layernorm_before,layernorm_after}.*`,
 * `encoder.layer.{i}.attention.attention.{query,key,value}.*`,
 * `encoder.layer.{i}.attention.output.dense.*`, `encoder.layer.{i}.intermediate.dense.*`,
 * `encoder.layer.{i}.output.dense.*`, `layernorm.*`, `pooler.dense.*` (unused here).
 * @module
 */
import type { ModelConfig } from "../config/model_config.ts";
import type { EncoderFamily } from "./family.ts";
import {
  buildVitLikeEncoder,
  normaliseViTLike,
  VIT_FIELDS,
  type ViTConfigFields,
  vitLikeWeightSpecs,
  type VitVariant,
} from "./vit.ts";

/** DeiTConfig fields: ViTConfig's. */
export type DeiTConfigFields = ViTConfigFields;

/** DeiT: CLS and distillation tokens, both zero in a fresh model. */
const DEIT_VARIANT: VitVariant = {
  graphName: "deit_encoder",
  tokens: ["cls_token", "distillation_token"],
  tokenInit: "zeros",
};

/** The DeiT family (`model_type` "deit"). */
export const DEIT_FAMILY: EncoderFamily<DeiTConfigFields> = {
  modelType: "deit",
  role: "encoder",
  pythonClass: "DeiTConfig",
  modelClass: "DeiTModel",
  basePrefix: "deit",
  fields: VIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
  weightSpecs: (f, o) => vitLikeWeightSpecs(DEIT_VARIANT, f, o),
  encoder: (f, w, o) => buildVitLikeEncoder(DEIT_VARIANT, f, w, o),
};

/** A parsed DeiT config. */
export type DeiTConfig = ModelConfig<DeiTConfigFields>;
