/**
 * Assembles the processor and warper lists from a GenerationConfig in exactly the order of
 * transformers v4.27's `_get_logits_processor` and `_get_logits_warper`.
 * @module
 */
import type { GenerationConfig } from "../config/generation_config.ts";
import { eosTokenIds } from "../config/generation_config.ts";
import type { LogitsProcessor } from "./logits_processor.ts";
import { RepetitionPenaltyProcessor } from "./repetition_penalty.ts";
import { NoRepeatNGramProcessor } from "./no_repeat_ngram.ts";
import { BadWordsProcessor } from "./bad_words.ts";
import { MinLengthProcessor } from "./min_length.ts";
import { MinNewTokensProcessor } from "./min_new_tokens.ts";
import { ForcedBosProcessor } from "./forced_bos.ts";
import { ForcedEosProcessor } from "./forced_eos.ts";
import { InfNanRemoveProcessor } from "./inf_nan_remove.ts";
import { ExponentialDecayLengthPenaltyProcessor } from "./exponential_decay_length_penalty.ts";
import { SuppressTokensProcessor } from "./suppress_tokens.ts";
import { BeginSuppressTokensProcessor } from "./begin_suppress_tokens.ts";
import { ForceTokensProcessor } from "./force_tokens.ts";
import { LogitNormalizationProcessor } from "./logit_normalization.ts";
import { TemperatureWarper } from "./temperature.ts";
import { TopKWarper } from "./top_k.ts";
import { TopPWarper } from "./top_p.ts";

/**
 * The processors `_get_logits_processor` builds (diversity and encoder-side processors are
 * refused earlier by the config's validation).
 * @param c the validated config
 * @param promptLength decoder prompt length (`input_ids_seq_length`)
 * @param maxLength the resolved max_length (max_new_tokens applied)
 * @returns the processors, in Python's order
 */
export function buildLogitsProcessors(
  c: GenerationConfig,
  promptLength: number,
  maxLength: number,
): LogitsProcessor[] {
  const eos = eosTokenIds(c);
  const hasEos = c.eos_token_id !== null;
  const out: LogitsProcessor[] = [];
  if (c.repetition_penalty !== 1) out.push(new RepetitionPenaltyProcessor(c.repetition_penalty));
  if (c.no_repeat_ngram_size > 0) out.push(new NoRepeatNGramProcessor(c.no_repeat_ngram_size));
  if (c.bad_words_ids !== null) out.push(new BadWordsProcessor(c.bad_words_ids, eos));
  if (hasEos && c.min_length > 0) out.push(new MinLengthProcessor(c.min_length, eos));
  if (hasEos && c.min_new_tokens !== null && c.min_new_tokens > 0) {
    out.push(new MinNewTokensProcessor(promptLength, c.min_new_tokens, eos));
  }
  if (c.forced_bos_token_id !== null) out.push(new ForcedBosProcessor(c.forced_bos_token_id));
  if (c.forced_eos_token_id !== null) {
    const f = c.forced_eos_token_id;
    out.push(new ForcedEosProcessor(maxLength, Array.isArray(f) ? f : [f]));
  }
  if (c.remove_invalid_values) out.push(new InfNanRemoveProcessor());
  if (c.exponential_decay_length_penalty !== null) {
    out.push(
      new ExponentialDecayLengthPenaltyProcessor(
        c.exponential_decay_length_penalty,
        eos,
        promptLength,
      ),
    );
  }
  if (c.suppress_tokens !== null) out.push(new SuppressTokensProcessor(c.suppress_tokens));
  if (c.begin_suppress_tokens !== null) {
    let begin = promptLength > 1 || c.forced_bos_token_id === null
      ? promptLength
      : promptLength + 1;
    if (c.forced_decoder_ids !== null && c.forced_decoder_ids.length > 0) {
      begin += c.forced_decoder_ids[c.forced_decoder_ids.length - 1][0];
    }
    out.push(new BeginSuppressTokensProcessor(c.begin_suppress_tokens, begin));
  }
  if (c.forced_decoder_ids !== null) out.push(new ForceTokensProcessor(c.forced_decoder_ids));
  if (c.renormalize_logits) out.push(new LogitNormalizationProcessor());
  return out;
}

/**
 * The warpers `_get_logits_warper` builds (sampling only).
 * @param c the validated config
 * @returns the warpers, in Python's order
 */
export function buildLogitsWarpers(c: GenerationConfig): LogitsProcessor[] {
  const out: LogitsProcessor[] = [];
  if (c.temperature !== 1) out.push(new TemperatureWarper(c.temperature));
  const minKeep = c.num_beams > 1 ? 2 : 1;
  if (c.top_k !== 0) out.push(new TopKWarper(c.top_k, minKeep));
  if (c.top_p < 1) out.push(new TopPWarper(c.top_p, minKeep));
  if (c.renormalize_logits) out.push(new LogitNormalizationProcessor());
  return out;
}
