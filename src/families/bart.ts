/**
 * BART decoder (Lewis et al. 2019, "BART: Denoising Sequence-to-Sequence Pre-training for Natural
 * Language Generation, Translation, and Comprehension"; model card facebook/bart-base;
 * transformers v4.27 configuration_bart.py and modeling_bart.py, BartForCausalLM): post-LayerNorm
 * layers, learned positions with offset 2, layernorm_embedding, `lm_head`. The graph and its
 * checkpoint names are in shared/bart_layers.ts, which MBart shares.
 * @module
 */
import { type FieldTable, TOKEN_ID } from "../config/config_fields.ts";
import type { ModelConfig } from "../config/model_config.ts";
import type { DecoderFamily } from "./family.ts";
import {
  BART_LIKE_FIELDS,
  type BartConfigFields,
  deriveBartLike,
  normaliseBartLike,
} from "./shared/bart_like.ts";
import {
  bartCrossKv,
  bartLikeWeightSpecs,
  type BartVariant,
  buildBartDecoderStep,
} from "./shared/bart_layers.ts";

/** BartConfig's fields and Python defaults (num_labels=3, decoder_start_token_id=2). */
export const BART_FIELDS: FieldTable = {
  ...BART_LIKE_FIELDS,
  decoder_start_token_id: ["int?", 2, TOKEN_ID],
  id2label: ["json", { "0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2" }],
  label2id: ["json", { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 }],
};

/** BART's layout. */
const BART_VARIANT: BartVariant = { name: "bart", preLayerNorm: false };

/** The BART family (`model_type` "bart"). */
export const BART_FAMILY: DecoderFamily<BartConfigFields> = {
  modelType: "bart",
  role: "decoder",
  pythonClass: "BartConfig",
  modelClass: "BartForCausalLM",
  basePrefix: "model",
  cacheNaming: "seq2seq",
  fields: BART_FIELDS,
  attributeMap: { num_attention_heads: "encoder_attention_heads", hidden_size: "d_model" },
  derive(f, given): void {
    deriveBartLike(f, given);
    // Python: backward compatibility for BART CNN checkpoints.
    if (f.forced_bos_token_id === null && given.force_bos_token_to_be_generated === true) {
      f.forced_bos_token_id = f.bos_token_id;
    }
  },
  normalise: normaliseBartLike,
  weightSpecs: (f, o) => bartLikeWeightSpecs(BART_VARIANT, f, o),
  crossKv: bartCrossKv,
  decoderStep: (f, w, o) => buildBartDecoderStep(BART_VARIANT, f, w, o),
};

/** A parsed BART config. */
export type BartConfig = ModelConfig<BartConfigFields>;
