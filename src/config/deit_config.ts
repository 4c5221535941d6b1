/**
 * DeiT (Touvron et al., "Training data-efficient image transformers"; facebook/deit-base-*)
 * config: `DeiTConfig` of transformers v4.27, whose fields and defaults are ViTConfig's.
 * @module
 */
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import { normaliseViTLike, VIT_FIELDS, type ViTConfigFields } from "./vit_config.ts";

/** DeiTConfig fields (the same as ViTConfig's, same defaults). */
export type DeiTConfigFields = ViTConfigFields;

/** The DeiT family (`model_type` "deit"). */
export const DEIT_FAMILY: ConfigFamily<DeiTConfigFields> = {
  modelType: "deit",
  role: "encoder",
  pythonClass: "DeiTConfig",
  fields: VIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
};

/** A parsed DeiT config. */
export type DeiTConfig = ModelConfig<DeiTConfigFields>;
