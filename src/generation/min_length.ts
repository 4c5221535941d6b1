/**
 * `MinLengthLogitsProcessor`, transformers v4.27: while the sequence (decoder start token
 * included) is shorter than `min_length`, every EOS id gets -inf.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { fillColumns, vocabOf } from "./logits_processor.ts";

/** Forbids EOS before a total length. */
export class MinLengthProcessor implements LogitsProcessor {
  readonly #minLength: number;
  readonly #eos: number[];

  /** @param minLength total length (prompt included) @param eosTokenIds the EOS ids */
  constructor(minLength: number, eosTokenIds: readonly number[]) {
    if (!Number.isInteger(minLength) || minLength < 0) {
      throw new RangeError(`min_length must be a non-negative integer, got ${minLength}`);
    }
    this.#minLength = minLength;
    this.#eos = [...eosTokenIds];
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    if (inputIds[0].length < this.#minLength) fillColumns(scores, vocab, this.#eos, -Infinity);
  }
}
