/**
 * BERT decoder with cross-attention (Devlin et al. 2018, "BERT: Pre-training of Deep
 * Bidirectional Transformers for Language Understanding"; model card bert-base-uncased, used as a
 * VisionEncoderDecoder decoder with is_decoder and add_cross_attention; transformers v4.27
 * configuration_bert.py and modeling_bert.py, BertLMHeadModel). The network, its checkpoint names
 * and Python's forward are in shared/bert_layers.ts, which RoBERTa shares; BERT's own rules:
 * absolute positions past..past+n, weights under `bert.`, the `cls.predictions` head.
 * @module
 */
import type { ModelConfig } from "../config/model_config.ts";
import type { DecoderFamily } from "./family.ts";
import { BERT_FIELDS, type BertConfigFields, normaliseBertLike } from "./shared/bert_like.ts";
import {
  bertCrossKv,
  bertLikeWeightSpecs,
  type BertVariant,
  buildBertDecoderStep,
} from "./shared/bert_layers.ts";

/** BERT's names and rules. */
const BERT_VARIANT: BertVariant = {
  family: "BERT",
  base: "bert",
  positions: "absolute",
  head: "cls",
};

/** The BERT family (`model_type` "bert"). */
export const BERT_FAMILY: DecoderFamily<BertConfigFields> = {
  modelType: "bert",
  role: "decoder",
  pythonClass: "BertConfig",
  modelClass: "BertLMHeadModel",
  basePrefix: "bert",
  ignoreUnexpected: [/pooler/],
  cacheNaming: "seq2seq",
  fields: BERT_FIELDS,
  attributeMap: {},
  normalise: (f) => normaliseBertLike(f, f.max_position_embeddings),
  weightSpecs: (f, o) => bertLikeWeightSpecs(BERT_VARIANT, f, o),
  crossKv: (f, o) => bertCrossKv(BERT_VARIANT, f, o),
  decoderStep: (f, w, o) => buildBertDecoderStep(BERT_VARIANT, f, w, o),
};

/** A parsed BERT config. */
export type BertConfig = ModelConfig<BertConfigFields>;
