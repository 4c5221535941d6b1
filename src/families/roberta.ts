/**
 * RoBERTa decoder with cross-attention (Liu et al. 2019, "RoBERTa: A Robustly Optimized BERT
 * Pretraining Approach"; model card roberta-base, used as a VisionEncoderDecoder decoder with
 * is_decoder and add_cross_attention; transformers v4.27 configuration_roberta.py and
 * modeling_roberta.py, RobertaForCausalLM). The network is BERT's (shared/bert_layers.ts) with
 * three differences:
 * - positions (create_position_ids_from_input_ids): (cumsum(ids != pad) + past) * (ids != pad) +
 *   padding_idx, so the first real token sits at padding_idx + 1 and pads at padding_idx;
 * - weights under `roberta.` instead of `bert.`;
 * - the head RobertaLMHead: layer_norm(gelu(dense(x))) @ decoder.weight^T + bias, with gelu (erf)
 *   whatever hidden_act says.
 * Config: BertConfig's fields with vocab 50265 and pad/bos/eos 1/0/2; positions start after the
 * padding index, so `maxPositions` is max_position_embeddings - pad_token_id - 1 (512 for
 * roberta-base's 514).
 *
 * Checkpoint names (prefix "decoder."): `roberta.embeddings.*` and `roberta.encoder.layer.{i}.*`
 * as BERT's, `lm_head.dense.*`, `lm_head.layer_norm.*`, `lm_head.bias`, `lm_head.decoder.weight`
 * (tied to word_embeddings when tie_word_embeddings), `lm_head.decoder.bias` (the same Parameter
 * as `lm_head.bias`).
 * @module
 */
import { count, type FieldTable, LIMITS, TOKEN_ID } from "../config/config_fields.ts";
import type { ModelConfig } from "../config/model_config.ts";
import type { DecoderFamily } from "./family.ts";
import { BERT_FIELDS, type BertConfigFields, normaliseBertLike } from "./shared/bert_like.ts";
import {
  bertCrossKv,
  bertLikeWeightSpecs,
  type BertVariant,
  buildBertDecoderStep,
} from "./shared/bert_layers.ts";

/** RobertaConfig fields (BERT's), Hugging Face names. */
export type RobertaConfigFields = BertConfigFields;

/** RobertaConfig's fields and Python defaults. */
export const ROBERTA_FIELDS: FieldTable = {
  ...BERT_FIELDS,
  vocab_size: ["int", 50265, count(LIMITS.vocab)],
  pad_token_id: ["int?", 1, TOKEN_ID],
  bos_token_id: ["int?", 0, TOKEN_ID],
  eos_token_id: ["ids?", 2, TOKEN_ID],
};

/** RoBERTa's names and rules. */
const ROBERTA_VARIANT: BertVariant = {
  family: "RoBERTa",
  base: "roberta",
  positions: "padding",
  head: "lm_head",
};

/** The RoBERTa family (`model_type` "roberta"). */
export const ROBERTA_FAMILY: DecoderFamily<RobertaConfigFields> = {
  modelType: "roberta",
  role: "decoder",
  pythonClass: "RobertaConfig",
  modelClass: "RobertaForCausalLM",
  basePrefix: "roberta",
  ignoreUnexpected: [/pooler/],
  cacheNaming: "seq2seq",
  fields: ROBERTA_FIELDS,
  attributeMap: {},
  normalise: (f) => normaliseBertLike(f, f.max_position_embeddings - (f.pad_token_id ?? 0) - 1),
  weightSpecs: (f, o) => bertLikeWeightSpecs(ROBERTA_VARIANT, f, o),
  crossKv: (f, o) => bertCrossKv(ROBERTA_VARIANT, f, o),
  decoderStep: (f, w, o) => buildBertDecoderStep(ROBERTA_VARIANT, f, w, o),
};

/** A parsed RoBERTa config. */
export type RobertaConfig = ModelConfig<RobertaConfigFields>;
