/**
 * Donut's Swin encoder (Kim et al., "OCR-free Document Understanding Transformer";
 * naver-clova-ix/donut-base) config: `DonutSwinConfig` of transformers v4.27, model_type
 * "donut-swin". Python stores its `patch_norm` argument as `path_norm` (sic), so config.json has
 * `path_norm`, and a saved `path_norm` is NOT read back (the `patch_norm` argument wins).
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import {
  deriveSwinLike,
  normaliseSwinLike,
  SWIN_LIKE_FIELDS,
  type SwinLikeFields,
} from "./swin_config.ts";

/** DonutSwinConfig fields, Hugging Face names. */
export interface DonutSwinConfigFields extends SwinLikeFields {
  /** Python's spelling of `patch_norm`: LayerNorm after the patch embedding. */
  path_norm: boolean;
}

/** DonutSwinConfig's fields and Python defaults. */
export const DONUT_SWIN_FIELDS: FieldTable = {
  ...SWIN_LIKE_FIELDS,
  patch_norm: ["bool", true],
};

/** The Donut Swin family (`model_type` "donut-swin"). */
export const DONUT_SWIN_FAMILY: ConfigFamily<DonutSwinConfigFields> = {
  modelType: "donut-swin",
  role: "encoder",
  pythonClass: "DonutSwinConfig",
  fields: DONUT_SWIN_FIELDS,
  attributeMap: { num_attention_heads: "num_heads", num_hidden_layers: "num_layers" },
  derive(f, given): void {
    deriveSwinLike(f);
    f.path_norm = given.patch_norm ?? true;
    delete f.patch_norm;
  },
  normalise: normaliseSwinLike,
};

/** A parsed Donut Swin config. */
export type DonutSwinConfig = ModelConfig<DonutSwinConfigFields>;
