/**
 * Row-wise softmax and log-softmax over float32 rows, as torch computes them on CPU: the row
 * maximum is subtracted first and the result is rounded to float32. Sums run in double (torch's
 * vectorised float sums differ in the last bits; those bits never decide a result in practice).
 * @module
 */

/**
 * Log-softmax of each row, in place (`x - max - log(sum(exp(x - max)))`).
 * @param scores row-major [rows, vocab]
 * @param vocab row length
 * @returns the same array
 */
export function logSoftmaxRows(scores: Float32Array, vocab: number): Float32Array {
  for (let base = 0; base < scores.length; base += vocab) {
    let max = -Infinity;
    for (let i = base; i < base + vocab; i++) if (scores[i] > max) max = scores[i];
    let sum = 0;
    for (let i = base; i < base + vocab; i++) sum += Math.exp(scores[i] - max);
    const lse = Math.fround(Math.log(sum));
    for (let i = base; i < base + vocab; i++) {
      scores[i] = Math.fround(scores[i] - max) - lse;
    }
  }
  return scores;
}

/**
 * Softmax of one row into a new array of probabilities (float64 for the sampler's sums, each
 * value rounded to float32 as torch's would be).
 * @param row the scores
 * @returns probabilities
 */
export function softmaxRow(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const out = new Float64Array(row.length);
  if (max === -Infinity) return out.fill(NaN);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += out[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) out[i] = Math.fround(out[i] / sum);
  return out;
}
