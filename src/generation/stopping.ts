/**
 * Stopping criteria of transformers v4.27 (`stopping_criteria.py` and `generate`'s length
 * resolution): `max_new_tokens` wins over `max_length` (= prompt length + n); a sequence is
 * finished when its last token is one of the EOS ids; `max_time` bounds the wall time.
 * @module
 */
import type { GenerationConfig } from "../config/generation_config.ts";

/** The resolved limits of one generate call. */
export interface StoppingPlan {
  /** Total length (prompt included) at which generation stops. */
  maxLength: number;
  /** Wall-time limit in milliseconds, or null. */
  maxTimeMs: number | null;
}

/**
 * Resolves max_length as Python's `generate` does and checks it against the decoder's limits.
 * @param c the validated config
 * @param promptLength decoder prompt length
 * @param maxPositions the decoder's position limit (tokens it can be fed)
 * @returns the plan; RangeError when min_length exceeds max_length or the decoder is too short
 */
export function planStopping(
  c: GenerationConfig,
  promptLength: number,
  maxPositions: number,
): StoppingPlan {
  const maxLength = c.max_new_tokens !== null ? c.max_new_tokens + promptLength : c.max_length;
  if (c.min_length > maxLength) {
    throw new RangeError(
      `Unfeasible length constraints: min_length (${c.min_length}) is larger than max_length (${maxLength})`,
    );
  }
  // The loop feeds every token but the last one generated: max_length - 1 positions.
  const needed = Math.max(maxLength - 1, promptLength);
  if (needed > maxPositions) {
    throw new RangeError(
      `Cannot generate up to max_length ${maxLength} (prompt ${promptLength}): the decoder accepts at most ${maxPositions} positions and this needs ${needed}`,
    );
  }
  return { maxLength, maxTimeMs: c.max_time === null ? null : c.max_time * 1000 };
}

/**
 * Whether a token ends a sequence.
 * @param token the token
 * @param eos the EOS ids
 * @returns true when it is one of them
 */
export function isEos(token: number, eos: readonly number[]): boolean {
  for (const e of eos) if (e === token) return true;
  return false;
}
