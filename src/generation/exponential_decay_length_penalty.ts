/**
 * `ExponentialDecayLengthPenalty`, transformers v4.27: past `start_index` new tokens, EOS scores
 * are multiplied by `decay_factor ** (cur_len - regulation_start)`.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Raises EOS scores exponentially after a length. */
export class ExponentialDecayLengthPenaltyProcessor implements LogitsProcessor {
  readonly #start: number;
  readonly #factor: number;
  readonly #eos: number[];

  /**
   * @param penalty `[start_index, decay_factor]`
   * @param eosTokenIds the EOS ids
   * @param promptLength tokens of the prompt
   */
  constructor(
    penalty: readonly [number, number],
    eosTokenIds: readonly number[],
    promptLength: number,
  ) {
    this.#start = penalty[0] + promptLength;
    this.#factor = penalty[1];
    this.#eos = [...eosTokenIds];
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    const curLen = inputIds[0].length;
    if (curLen <= this.#start) return;
    const f = Math.fround(Math.pow(this.#factor, curLen - this.#start));
    for (let base = 0; base < scores.length; base += vocab) {
      for (const e of this.#eos) scores[base + e] = scores[base + e] * f;
    }
  }
}
