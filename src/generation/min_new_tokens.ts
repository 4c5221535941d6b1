/**
 * `MinNewTokensLengthLogitsProcessor`, transformers v4.27: while fewer than `min_new_tokens`
 * tokens follow the prompt, every EOS id gets -inf.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { fillColumns, vocabOf } from "./logits_processor.ts";

/** Forbids EOS before a number of new tokens. */
export class MinNewTokensProcessor implements LogitsProcessor {
  readonly #promptLength: number;
  readonly #minNew: number;
  readonly #eos: number[];

  /**
   * @param promptLength tokens of the prompt (decoder start token included)
   * @param minNewTokens new tokens required before EOS
   * @param eosTokenIds the EOS ids
   */
  constructor(promptLength: number, minNewTokens: number, eosTokenIds: readonly number[]) {
    if (!Number.isInteger(minNewTokens) || minNewTokens < 0) {
      throw new RangeError(`min_new_tokens must be a non-negative integer, got ${minNewTokens}`);
    }
    this.#promptLength = promptLength;
    this.#minNew = minNewTokens;
    this.#eos = [...eosTokenIds];
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    if (inputIds[0].length - this.#promptLength < this.#minNew) {
      fillColumns(scores, vocab, this.#eos, -Infinity);
    }
  }
}
