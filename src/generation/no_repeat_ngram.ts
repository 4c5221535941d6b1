/**
 * `NoRepeatNGramLogitsProcessor` (fairseq's no_repeat_ngram), transformers v4.27: a token that
 * would complete an n-gram already present in the row's history (decoder start token included)
 * gets -inf.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Bans repeated n-grams of a given size. */
export class NoRepeatNGramProcessor implements LogitsProcessor {
  readonly #n: number;

  /** @param ngramSize n, a positive integer */
  constructor(ngramSize: number) {
    if (!Number.isInteger(ngramSize) || ngramSize <= 0) {
      throw new RangeError(`no_repeat_ngram_size must be a positive integer, got ${ngramSize}`);
    }
    this.#n = ngramSize;
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    const n = this.#n;
    for (let r = 0; r < inputIds.length; r++) {
      const ids = inputIds[r];
      const len = ids.length;
      if (len + 1 < n) continue;
      // the last n-1 tokens; every earlier occurrence of them bans the token that followed
      const start = len + 1 - n;
      for (let i = 0; i + n <= len; i++) {
        let match = true;
        for (let j = 0; j < n - 1; j++) {
          if (ids[i + j] !== ids[start + j]) {
            match = false;
            break;
          }
        }
        if (match) scores[r * vocab + ids[i + n - 1]] = -Infinity;
      }
    }
  }
}
