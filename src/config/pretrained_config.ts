/**
 * The fields every Hugging Face config carries (`PretrainedConfig.__init__`, transformers v4.27),
 * with Python's defaults. Family tables spread this one and override what their class passes to
 * `super().__init__` (GPT2's bos/eos 50256, RoBERTa's pad 1, ...).
 * @module
 */
import { count, type FieldTable, LIMITS, TOKEN_ID } from "./config_fields.ts";

/** Common config fields, Hugging Face names. Token ids are null when unset. */
export interface PretrainedConfigFields {
  /** The family's `model_type`. */
  model_type: string;
  /** Whether the model is used as a decoder (causal self-attention). */
  is_decoder: boolean;
  /** Whether the decoder layers have cross-attention. */
  add_cross_attention: boolean;
  /** Whether the model is an encoder-decoder. */
  is_encoder_decoder: boolean;
  /** Whether the LM head shares the token embedding matrix. */
  tie_word_embeddings: boolean;
  /** Whether encoder and decoder weights are tied. */
  tie_encoder_decoder: boolean;
  /** Width of the encoder states the cross-attention reads, or null for the model's own. */
  cross_attention_hidden_size: number | null;
  /** Beginning-of-sequence token id. */
  bos_token_id: number | null;
  /** End-of-sequence token id(s). */
  eos_token_id: number | number[] | null;
  /** Padding token id. */
  pad_token_id: number | null;
  /** Separator token id. */
  sep_token_id: number | null;
  /** First decoder input token. */
  decoder_start_token_id: number | null;
  /** Token forced as the first generated one. */
  forced_bos_token_id: number | null;
  /** Token(s) forced when max_length is reached. */
  forced_eos_token_id: number | number[] | null;
  /** Python model classes the checkpoint was saved from. */
  architectures: string[] | null;
  /** dtype of the saved weights ("float32", ...). */
  torch_dtype: string | null;
  /** Fields of the family, and extras Python keeps as attributes. */
  [extra: string]: unknown;
}

/** PretrainedConfig's own fields and defaults, in the order v4.27's `to_dict` writes them. */
export const PRETRAINED_FIELDS: FieldTable = {
  _name_or_path: ["string", ""],
  add_cross_attention: ["bool", false],
  architectures: ["json?", null],
  bad_words_ids: ["json?", null],
  begin_suppress_tokens: ["int[]?", null],
  bos_token_id: ["int?", null, TOKEN_ID],
  chunk_size_feed_forward: ["int", 0],
  cross_attention_hidden_size: ["int?", null, count(LIMITS.width)],
  decoder_start_token_id: ["int?", null, TOKEN_ID],
  diversity_penalty: ["number", 0.0],
  do_sample: ["bool", false],
  early_stopping: ["json", false],
  encoder_no_repeat_ngram_size: ["int", 0],
  eos_token_id: ["ids?", null, TOKEN_ID],
  exponential_decay_length_penalty: ["json?", null],
  finetuning_task: ["string?", null],
  forced_bos_token_id: ["int?", null, TOKEN_ID],
  forced_eos_token_id: ["ids?", null, TOKEN_ID],
  id2label: ["json", { "0": "LABEL_0", "1": "LABEL_1" }],
  is_decoder: ["bool", false],
  is_encoder_decoder: ["bool", false],
  label2id: ["json", { LABEL_0: 0, LABEL_1: 1 }],
  length_penalty: ["number", 1.0],
  max_length: ["int", 20],
  min_length: ["int", 0],
  no_repeat_ngram_size: ["int", 0],
  num_beam_groups: ["int", 1],
  num_beams: ["int", 1],
  num_return_sequences: ["int", 1],
  output_attentions: ["bool", false],
  output_hidden_states: ["bool", false],
  output_scores: ["bool", false],
  pad_token_id: ["int?", null, TOKEN_ID],
  prefix: ["string?", null],
  problem_type: ["string?", null],
  pruned_heads: ["json", {}],
  remove_invalid_values: ["bool", false],
  repetition_penalty: ["number", 1.0],
  return_dict: ["bool", true],
  return_dict_in_generate: ["bool", false],
  sep_token_id: ["int?", null, TOKEN_ID],
  suppress_tokens: ["int[]?", null],
  task_specific_params: ["json?", null],
  temperature: ["number", 1.0],
  tf_legacy_loss: ["bool", false],
  tie_encoder_decoder: ["bool", false],
  tie_word_embeddings: ["bool", true],
  tokenizer_class: ["string?", null],
  top_k: ["int", 50],
  top_p: ["number", 1.0],
  torch_dtype: ["string?", null],
  torchscript: ["bool", false],
  typical_p: ["number", 1.0],
  use_bfloat16: ["bool", false],
};
