/**
 * Swin Transformer encoder (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer
 * using Shifted Windows"; model cards microsoft/swin-tiny-patch4-window7-224,
 * microsoft/swin-base-patch4-window12-384; transformers v4.27 configuration_swin.py and
 * modeling_swin.py, SwinModel), as the encoder of a VisionEncoderDecoderModel. The graph, its
 * checkpoint names and Python's forward are described in shared/swin_graph.ts, which Donut's Swin
 * shares; SwinModel ends with a final `layernorm`.
 * @module
 */
import { count, type FieldTable, LIMITS } from "../config/config_fields.ts";
import type { ModelConfig } from "../config/model_config.ts";
import type { EncoderFamily } from "./family.ts";
import { buildSwinEncoder, swinWeightSpecs } from "./shared/swin_graph.ts";
import {
  deriveSwinLike,
  normaliseSwinLike,
  SWIN_LIKE_FIELDS,
  type SwinLikeFields,
} from "./shared/swin_like.ts";

/** SwinConfig fields, Hugging Face names. */
export interface SwinConfigFields extends SwinLikeFields {
  encoder_stride: number;
  out_features: string[] | null;
  stage_names: string[];
}

/** SwinConfig's fields and Python defaults. */
export const SWIN_FIELDS: FieldTable = {
  ...SWIN_LIKE_FIELDS,
  encoder_stride: ["int", 32, count(LIMITS.image)],
  out_features: ["json?", null],
  stage_names: ["json", ["stem", "stage1", "stage2", "stage3", "stage4"]],
};

/** The Swin family (`model_type` "swin"). */
export const SWIN_FAMILY: EncoderFamily<SwinConfigFields> = {
  modelType: "swin",
  role: "encoder",
  pythonClass: "SwinConfig",
  modelClass: "SwinModel",
  basePrefix: "swin",
  fields: SWIN_FIELDS,
  attributeMap: { num_attention_heads: "num_heads", num_hidden_layers: "num_layers" },
  derive(f): void {
    deriveSwinLike(f);
    f.stage_names = ["stem", ...(f.depths as number[]).map((_, i) => `stage${i + 1}`)];
  },
  normalise: normaliseSwinLike,
  weightSpecs: (f, o) => swinWeightSpecs(f, o, "swin"),
  encoder: (f, w, o) => buildSwinEncoder(f, w, { ...o, flavour: "swin" }),
};

/** A parsed Swin config. */
export type SwinConfig = ModelConfig<SwinConfigFields>;
