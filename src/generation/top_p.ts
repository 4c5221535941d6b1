/**
 * `TopPLogitsWarper` (nucleus sampling), transformers v4.27: sort the row ascending, softmax,
 * cumulative sum (torch's CPU cumsum accumulates in double and stores float32), and give -inf to
 * tokens whose cumulative probability is <= 1 - top_p, keeping the last `minTokensToKeep`.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Keeps the smallest set of best tokens whose probability reaches top_p. */
export class TopPWarper implements LogitsProcessor {
  readonly #threshold: number;
  readonly #minKeep: number;

  /** @param topP in (0, 1] @param minTokensToKeep tokens always kept (2 in beam sampling) */
  constructor(topP: number, minTokensToKeep = 1) {
    if (!(topP > 0 && topP <= 1)) throw new RangeError(`top_p must be in (0, 1], got ${topP}`);
    // Python compares the float32 tensor with the double 1 - top_p, cast to float32
    this.#threshold = Math.fround(1 - topP);
    this.#minKeep = minTokensToKeep;
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    for (let base = 0; base < scores.length; base += vocab) {
      this.#row(scores.subarray(base, base + vocab));
    }
  }

  #row(row: Float32Array): void {
    // -inf entries have probability 0: they sort first, add 0 to the sum, and are already
    // removed, so only finite (and +inf/NaN) entries need sorting.
    const idx: number[] = [];
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) {
      if (row[i] !== -Infinity) idx.push(i);
      if (row[i] > max) max = row[i];
    }
    if (idx.length === 0) return;
    idx.sort((a, b) => row[a] - row[b] || a - b);
    let sum = 0;
    for (const i of idx) sum += Math.exp(row[i] - max);
    const nMinusInf = row.length - idx.length;
    let cum = 0;
    for (let s = 0; s < idx.length; s++) {
      cum += Math.fround(Math.exp(row[idx[s]] - max) / sum);
      const sortedPos = nMinusInf + s;
      const keptTail = this.#minKeep > 1 && sortedPos >= row.length - this.#minKeep;
      if (Math.fround(cum) <= this.#threshold && !keptTail) row[idx[s]] = -Infinity;
    }
  }
}
