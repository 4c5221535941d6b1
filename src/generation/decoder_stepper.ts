/**
 * The contract between the decoding loops (greedy, sampling, beam search) and the runtime that
 * runs the decoder graphs. The loops never see tensors: they see logits of the last position and
 * an opaque cache value they can fork (select rows) and must release.
 *
 * Cross-attention keys/values live inside the cache **per image** and are never copied by
 * `select`: only the self-attention rows follow the chosen rows. `start` runs once per image.
 * @module
 */

/** Opaque decoder cache: self-attention K/V per row plus the per-image cross-attention state. */
export interface DecoderCache {
  /** Number of rows (sequences) the cache holds. */
  readonly rows: number;
  /** For each row, the index of its image in the batch. */
  readonly rowImage: Int32Array;
}

/** What one decoder run gives back. */
export interface StepOutput {
  /** Logits of the last position, row-major [rows, vocabSize]. */
  logits: Float32Array;
  /** The cache after this step (the input cache must not be used again unless `select`ed from). */
  cache: DecoderCache;
}

/** A decoder bound to one batch of images' encoder states. */
export interface DecoderStepper {
  /** Size of the logits' last dimension. */
  readonly vocabSize: number;
  /** Number of images bound. */
  readonly images: number;
  /** Longest sequence the decoder accepts (position limit), or Infinity when unbounded. */
  readonly maxPositions: number;
  /**
   * First run: one row per image (`inputIds[i]` is image i's prompt, usually the decoder start
   * token; all rows the same length). Computes the cross-attention state once per image.
   */
  start(inputIds: readonly (readonly number[])[]): Promise<StepOutput>;
  /** One more token per row (`tokens.length === cache.rows`). */
  step(cache: DecoderCache, tokens: ArrayLike<number>): Promise<StepOutput>;
  /**
   * A cache whose row r is row `rows[r]` of `cache` (expand to beams, reorder beams). Cross
   * state is shared, never copied. The input cache stays valid until released.
   */
  select(cache: DecoderCache, rows: ArrayLike<number>): DecoderCache;
  /** Frees what the cache holds (tensors on the GPU included). Idempotent. */
  release(cache: DecoderCache): void;
}
