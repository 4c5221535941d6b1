/**
 * Summary statistics for noisy timings: the median and the spread (quartiles, extremes) of a set
 * of samples, and the ratio of two engines measured in the same rounds.
 * @module
 */

/** Median and spread of one engine's samples, in milliseconds. */
export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  /** First and third quartiles. */
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/**
 * The q-quantile of sorted samples, interpolating linearly between neighbours.
 * @param sorted samples in ascending order
 * @param q the quantile in [0, 1]
 * @returns the quantile (NaN when there are no samples)
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Median, quartiles and extremes of some samples.
 * @param samples the timings
 * @returns their summary
 */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
  };
}

/**
 * How many times faster `engine` is than `baseline`, robust to drift: the median over rounds of
 * (baseline's median in the round / engine's median in the same round). Above 1: engine faster.
 * @param baselineRounds per round, the baseline's samples
 * @param engineRounds per round, the engine's samples (same rounds)
 * @returns the ratio and its spread over rounds
 */
export function roundRatio(
  baselineRounds: readonly (readonly number[])[],
  engineRounds: readonly (readonly number[])[],
): Summary {
  const ratios: number[] = [];
  const n = Math.min(baselineRounds.length, engineRounds.length);
  for (let r = 0; r < n; r++) {
    const b = summarize(baselineRounds[r]).median;
    const e = summarize(engineRounds[r]).median;
    if (Number.isFinite(b) && Number.isFinite(e) && e > 0) ratios.push(b / e);
  }
  return summarize(ratios);
}
