/**
 * RoBERTa (Liu et al.; roberta-base) config: `RobertaConfig` of transformers v4.27, BERT's fields
 * with vocab 50265 and pad/bos/eos 1/0/2. Positions start after the padding index, so
 * `maxPositions` is max_position_embeddings - pad_token_id - 1 (512 for roberta-base's 514).
 * @module
 */
import type { FieldTable } from "./config_fields.ts";
import type { ConfigFamily, ModelConfig } from "./model_config.ts";
import { BERT_FIELDS, type BertConfigFields, normaliseBertLike } from "./bert_config.ts";

/** RobertaConfig fields (BERT's), Hugging Face names. */
export type RobertaConfigFields = BertConfigFields;

/** RobertaConfig's fields and Python defaults. */
export const ROBERTA_FIELDS: FieldTable = {
  ...BERT_FIELDS,
  vocab_size: ["int", 50265],
  pad_token_id: ["int?", 1],
  bos_token_id: ["int?", 0],
  eos_token_id: ["ids?", 2],
};

/** The RoBERTa family (`model_type` "roberta"). */
export const ROBERTA_FAMILY: ConfigFamily<RobertaConfigFields> = {
  modelType: "roberta",
  role: "decoder",
  pythonClass: "RobertaConfig",
  fields: ROBERTA_FIELDS,
  attributeMap: {},
  normalise: (f) => normaliseBertLike(f, f.max_position_embeddings - (f.pad_token_id ?? 0) - 1),
};

/** A parsed RoBERTa config. */
export type RobertaConfig = ModelConfig<RobertaConfigFields>;
