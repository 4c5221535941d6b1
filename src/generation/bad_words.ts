/**
 * `NoBadWordsLogitsProcessor`, transformers v4.27: single-token bad words are always banned; a
 * longer bad word bans its last token when the row ends with the rest of it. Bad words equal to
 * `[eos]` are dropped, as Python does.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Bans token sequences. */
export class BadWordsProcessor implements LogitsProcessor {
  readonly #single: number[];
  readonly #multi: number[][];

  /**
   * @param badWordsIds non-empty list of non-empty token-id lists
   * @param eosTokenIds EOS ids (a bad word that is exactly one EOS id is dropped)
   */
  constructor(badWordsIds: readonly (readonly number[])[], eosTokenIds: readonly number[]) {
    if (badWordsIds.length === 0) throw new RangeError("bad_words_ids must not be empty");
    const kept = badWordsIds.filter((w) => !eosTokenIds.some((e) => w.length === 1 && w[0] === e));
    this.#single = [];
    this.#multi = [];
    for (const w of kept) {
      if (w.length === 0) throw new RangeError("bad_words_ids must not hold an empty list");
      if (w.length === 1) this.#single.push(w[0]);
      else this.#multi.push([...w]);
    }
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    for (const t of this.#single) {
      if (t >= vocab) {
        throw new RangeError(`bad_words_ids token ${t} is outside the vocabulary of ${vocab}`);
      }
    }
    for (let r = 0; r < inputIds.length; r++) {
      const ids = inputIds[r];
      const base = r * vocab;
      for (const t of this.#single) scores[base + t] = -Infinity;
      for (const w of this.#multi) {
        const prefix = w.length - 1;
        if (prefix > ids.length) continue;
        let match = true;
        for (let j = 0; j < prefix; j++) {
          if (ids[ids.length - prefix + j] !== w[j]) {
            match = false;
            break;
          }
        }
        const last = w[prefix];
        // Python drops (with a logged error) ids past the vocabulary
        if (match && last < vocab) scores[base + last] = -Infinity;
      }
    }
  }
}
