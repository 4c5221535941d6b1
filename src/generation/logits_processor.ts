/**
 * The logits-processor contract (transformers' `LogitsProcessor` / `LogitsWarper`): each one
 * rewrites a batch of score rows in place, seeing every row's token history (Python's
 * `input_ids`, decoder start token first, all rows the same length).
 * @module
 */

/** Token histories of the rows, one list per row, all the same length. */
export type TokenHistories = readonly (readonly number[])[];

/** One step of score processing, applied in place to row-major [rows, vocab] float32 scores. */
export interface LogitsProcessor {
  /**
   * Rewrites the scores in place.
   * @param scores row-major [rows, vocab]
   * @param inputIds each row's tokens so far (`inputIds.length` = rows)
   */
  process(scores: Float32Array, inputIds: TokenHistories): void;
}

/**
 * Runs processors in order, as Python's `LogitsProcessorList.__call__` does.
 * @param processors the list
 * @param scores row-major [rows, vocab], rewritten in place
 * @param inputIds each row's tokens so far
 * @returns the same scores array
 */
export function applyProcessors(
  processors: readonly LogitsProcessor[],
  scores: Float32Array,
  inputIds: TokenHistories,
): Float32Array {
  for (const p of processors) p.process(scores, inputIds);
  return scores;
}

/**
 * Vocabulary size of a score batch, checked against the row count.
 * @param scores row-major [rows, vocab]
 * @param rows number of rows
 * @returns the vocabulary size
 */
export function vocabOf(scores: Float32Array, rows: number): number {
  const vocab = scores.length / rows;
  if (rows <= 0 || !Number.isInteger(vocab)) {
    throw new RangeError(`scores of length ${scores.length} do not split into ${rows} rows`);
  }
  return vocab;
}

/**
 * Sets one column of every row to a value (Python's `scores[:, ids] = v`).
 * @param scores row-major [rows, vocab]
 * @param vocab row length
 * @param ids the columns; ids outside the vocabulary throw RangeError as Python's indexing does
 * @param value the value
 */
export function fillColumns(
  scores: Float32Array,
  vocab: number,
  ids: readonly number[],
  value: number,
): void {
  for (const id of ids) {
    if (id < 0 || id >= vocab) {
      throw new RangeError(`token id ${id} is outside the vocabulary of ${vocab} tokens`);
    }
  }
  for (let base = 0; base < scores.length; base += vocab) {
    for (const id of ids) scores[base + id] = value;
  }
}
