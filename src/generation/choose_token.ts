/**
 * Picking the next token of a row: argmax (torch.argmax: the first maximum wins) or a draw from
 * the softmax of the scores (torch.multinomial's distribution, our own seeded stream).
 * @module
 */
import type { Prng } from "./prng.ts";
import { softmaxRow } from "./softmax.ts";

/**
 * Index of the largest score (the lowest index among equals; NaN counts as largest).
 * @param row the scores
 * @returns the index
 */
export function argmax(row: Float32Array): number {
  let best = 0;
  let bestV = row[0];
  if (Number.isNaN(bestV)) return 0;
  for (let i = 1; i < row.length; i++) {
    const v = row[i];
    if (Number.isNaN(v)) return i;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/**
 * Draws a token from softmax(row).
 * @param row processed and warped scores
 * @param prng the random stream
 * @returns the token; RangeError when the row has no valid probability (all -inf, NaN)
 */
export function sampleToken(row: Float32Array, prng: Prng): number {
  const probs = softmaxRow(row);
  let total = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (!(p >= 0) || p === Infinity) total = NaN;
    total += p;
  }
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new RangeError(
      "Cannot sample: the probability row contains inf, nan or no positive element (every token was filtered out)",
    );
  }
  const u = prng.nextDouble() * total;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (cum > u) return i;
  }
  return last; // rounding left u just above the final sum
}
