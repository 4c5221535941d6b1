/**
 * `RepetitionPenaltyLogitsProcessor` (CTRL, arXiv:1909.05858), transformers v4.27: every token
 * already in the row (decoder start token included) has its score divided by the penalty when
 * positive and multiplied by it when negative, once per distinct token, in float32.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Penalises tokens already generated. */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  readonly #penalty: number;

  /** @param penalty > 0; 1 means no penalty */
  constructor(penalty: number) {
    if (!(penalty > 0)) throw new RangeError(`repetition_penalty must be > 0, got ${penalty}`);
    this.#penalty = Math.fround(penalty);
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    const p = this.#penalty;
    for (let r = 0; r < inputIds.length; r++) {
      const base = r * vocab;
      // gather, then scatter: a repeated token is penalised once, from its original score
      for (const t of new Set(inputIds[r])) {
        const s = scores[base + t];
        scores[base + t] = s < 0 ? s * p : s / p;
      }
    }
  }
}
