/**
 * `TopKLogitsWarper`, transformers v4.27: scores below the k-th largest of the row get -inf
 * (ties with the k-th are kept, as `scores < topk(scores, k)[..., -1]` keeps them).
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Keeps the k best tokens of each row. */
export class TopKWarper implements LogitsProcessor {
  readonly #k: number;

  /** @param topK > 0 @param minTokensToKeep lower bound on k (2 in beam sampling) */
  constructor(topK: number, minTokensToKeep = 1) {
    if (!Number.isInteger(topK) || topK <= 0) {
      throw new RangeError(`top_k has to be a strictly positive integer, got ${topK}`);
    }
    this.#k = Math.max(topK, minTokensToKeep);
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const vocab = vocabOf(scores, inputIds.length);
    const k = Math.min(this.#k, vocab);
    if (k >= vocab) return;
    for (let base = 0; base < scores.length; base += vocab) {
      const row = scores.subarray(base, base + vocab);
      const kth = kthLargest(row, k);
      for (let i = 0; i < vocab; i++) if (row[i] < kth) row[i] = -Infinity;
    }
  }
}

/**
 * The k-th largest value of a row (NaN counts as largest, as in torch.topk).
 * @param row the values
 * @param k 1-based rank
 * @returns the value
 */
export function kthLargest(row: Float32Array, k: number): number {
  // A min-heap of the k largest seen: O(n log k), no full sort of a 50k vocabulary.
  const heap = new Float64Array(k);
  let size = 0;
  const less = (a: number, b: number): boolean => (Number.isNaN(b) ? !Number.isNaN(a) : a < b);
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (size < k) {
      let j = size++;
      heap[j] = v;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (!less(heap[j], heap[p])) break;
        [heap[j], heap[p]] = [heap[p], heap[j]];
        j = p;
      }
    } else if (less(heap[0], v)) {
      heap[0] = v;
      let j = 0;
      for (;;) {
        const l = 2 * j + 1, r = l + 1;
        let m = j;
        if (l < size && less(heap[l], heap[m])) m = l;
        if (r < size && less(heap[r], heap[m])) m = r;
        if (m === j) break;
        [heap[j], heap[m]] = [heap[m], heap[j]];
        j = m;
      }
    }
  }
  return heap[0];
}
