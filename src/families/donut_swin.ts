/**
 * Donut's Swin encoder (Kim et al. 2022, "OCR-free Document Understanding Transformer"; model card
 * naver-clova-ix/donut-base; transformers v4.27 configuration_donut_swin.py and
 * modeling_donut_swin.py, DonutSwinModel): Swin's graph (shared/swin_graph.ts) without the final
 * `layernorm`; the config spells `patch_norm` as the attribute `path_norm`, as Python does.
 * @module
 */
import type { FieldTable } from "../config/config_fields.ts";
import type { ModelConfig } from "../config/model_config.ts";
import type { EncoderFamily } from "./family.ts";
import { buildSwinEncoder, swinWeightSpecs } from "./shared/swin_graph.ts";
import {
  deriveSwinLike,
  normaliseSwinLike,
  SWIN_LIKE_FIELDS,
  type SwinLikeFields,
} from "./shared/swin_like.ts";

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
export const DONUT_SWIN_FAMILY: EncoderFamily<DonutSwinConfigFields> = {
  modelType: "donut-swin",
  role: "encoder",
  pythonClass: "DonutSwinConfig",
  modelClass: "DonutSwinModel",
  basePrefix: "swin",
  fields: DONUT_SWIN_FIELDS,
  attributeMap: { num_attention_heads: "num_heads", num_hidden_layers: "num_layers" },
  derive(f, given): void {
    deriveSwinLike(f);
    f.path_norm = given.patch_norm ?? true;
    delete f.patch_norm;
  },
  normalise: normaliseSwinLike,
  weightSpecs: (f, o) => swinWeightSpecs(f, o, "donut-swin"),
  encoder: (f, w, o) => buildSwinEncoder(f, w, { ...o, flavour: "donut-swin" }),
};

/** A parsed Donut Swin config. */
export type DonutSwinConfig = ModelConfig<DonutSwinConfigFields>;
