/**
 * The decoder cache every runtime stepper keeps: self-attention keys/values, one row per sequence,
 * and each row's image. The per-image cross-attention state stays in the stepper (it is never
 * copied per row); the cache owns its self-attention tensors and frees them in `release()`.
 *
 * Where the tensors live is the business of a {@link RowTensors}: {@link cpuRowTensors} gathers
 * rows of CPU arrays; a backend whose runs leave the cache on the GPU supplies one that gathers
 * with a graph there and disposes GPU buffers. Gathering may therefore complete later: `select`
 * stays synchronous for the decoding loops, the step that feeds the new cache awaits its tensors
 * ({@link RowCache.take}), and releasing a cache frees its tensors once every pending read of
 * them is done.
 * @module
 */
import type { DecoderCache } from "../generation/decoder_stepper.ts";
import type { Ort, OrtTensor } from "./ort.ts";
import { gatherRows } from "./tensors.ts";

/** How a cache's tensors are copied by row and freed. */
export interface RowTensors {
  /**
   * New tensors whose row i (first axis) is row `rows[i]` of each given tensor; the new cache
   * owns them.
   * @param tensors the tensors of a cache
   * @param rows source row of each result row (already checked to be in range)
   * @returns the gathered tensors, in the same order
   */
  gather(tensors: readonly OrtTensor[], rows: readonly number[]): Promise<readonly OrtTensor[]>;
  /**
   * Frees a tensor the cache owns (called once per tensor, by `release()`).
   * @param t the tensor
   */
  dispose(t: OrtTensor): void;
}

/**
 * Row operations on CPU tensors; tensors a run left on the GPU are disposed on release.
 * @param ort the runtime
 * @returns gather by copying rows, dispose GPU buffers
 */
export function cpuRowTensors(ort: Ort): RowTensors {
  return {
    gather: (tensors, rows) => Promise.resolve(tensors.map((t) => gatherRows(ort, t, rows))),
    dispose: (t) => {
      if (t.location === "gpu-buffer") t.dispose();
    },
  };
}

/**
 * Checks the prompts a stepper's `start()` (or `forward()`) is given: one equal-length row per
 * image, at least one token, within the position limit.
 * @param inputIds the prompts
 * @param images images bound
 * @param maxPositions the decoder's position limit
 * @returns the prompt length
 */
export function checkPrompts(
  inputIds: readonly (readonly number[])[],
  images: number,
  maxPositions: number,
): number {
  if (inputIds.length !== images) {
    throw new RangeError(`start() needs one row per image (${images}), got ${inputIds.length}`);
  }
  const n = inputIds[0]?.length ?? 0;
  if (n < 1) throw new RangeError("start() needs at least one token per row");
  if (n > maxPositions) {
    throw new RangeError(`prompt of ${n} tokens exceeds the decoder's ${maxPositions} positions`);
  }
  return n;
}

/** Self-attention K/V per row, as both runtime steppers keep them. */
export class RowCache implements DecoderCache {
  readonly rows: number;
  readonly rowImage: Int32Array;
  /** Tokens already seen by the cache. */
  readonly pastLength: number;
  readonly #tensors: RowTensors;
  readonly #past: Promise<readonly OrtTensor[]>;
  readonly #readers: Promise<unknown>[] = [];
  #released = false;

  /**
   * @param tensors how the tensors are gathered and freed
   * @param rowImage each row's image (its length is the row count)
   * @param past the K/V tensors in the graph's `past_key_values` feed order, each [rows, ...]
   *   (or a gather producing them), now owned by this cache
   * @param pastLength tokens already seen
   */
  constructor(
    tensors: RowTensors,
    rowImage: Int32Array,
    past: readonly OrtTensor[] | Promise<readonly OrtTensor[]>,
    pastLength: number,
  ) {
    this.#tensors = tensors;
    this.rows = rowImage.length;
    this.rowImage = rowImage;
    this.#past = Promise.resolve(past);
    // a failed gather is reported by the step that takes the tensors; nobody else must see it
    this.#past.catch(() => {});
    this.pastLength = pastLength;
  }

  /**
   * The cache of a first run: one row per image.
   * @param tensors how the tensors are gathered and freed
   * @param past the run's `present` K/V, [images, ...] each
   * @param images images bound (one row each)
   * @param promptLength tokens per prompt
   * @returns the cache
   */
  static first(
    tensors: RowTensors,
    past: readonly OrtTensor[],
    images: number,
    promptLength: number,
  ): RowCache {
    return new RowCache(
      tensors,
      Int32Array.from({ length: images }, (_, i) => i),
      past,
      promptLength,
    );
  }

  /**
   * The cache a stepper was handed, checked: one of these, not released.
   * @param cache what the decoding loop passed
   * @param caller the method, for the message
   * @returns the cache
   */
  static of(cache: DecoderCache, caller: string): RowCache {
    if (!(cache instanceof RowCache)) {
      throw new TypeError(`${caller} needs a cache from this decoder's start() or step()`);
    }
    if (cache.#released) throw new Error(`${caller} on a released cache`);
    return cache;
  }

  /**
   * The cache a step is fed, checked against the tokens and the position limit.
   * @param cache what the decoding loop passed
   * @param tokens one token per row
   * @param maxPositions the decoder's position limit
   * @returns the cache
   */
  static forStep(cache: DecoderCache, tokens: ArrayLike<number>, maxPositions: number): RowCache {
    const c = RowCache.of(cache, "step()");
    if (tokens.length !== c.rows) {
      throw new RangeError(`step() needs ${c.rows} tokens, got ${tokens.length}`);
    }
    if (c.pastLength + 1 > maxPositions) {
      throw new RangeError(
        `sequence of ${c.pastLength + 1} tokens exceeds the decoder's ${maxPositions} positions`,
      );
    }
    return c;
  }

  /** Whether `release()` was called. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * The K/V tensors, once any gather producing them is done; they stay owned by this cache.
   * @returns the tensors in the graph's `past_key_values` feed order
   */
  take(): Promise<readonly OrtTensor[]> {
    if (this.#released) return Promise.reject(new Error("step() on a released cache"));
    this.#readers.push(this.#past);
    return this.#past;
  }

  /**
   * The cache after a run on this one's rows.
   * @param past the run's `present` K/V (owned by the new cache)
   * @param added tokens the run added per row
   * @returns the new cache; this one stays valid until released
   */
  next(past: readonly OrtTensor[], added: number): RowCache {
    return new RowCache(this.#tensors, this.rowImage, past, this.pastLength + added);
  }

  /**
   * A cache whose row r is row `rows[r]` of this one (self-attention K/V only).
   * @param rows source row of each new row
   * @returns the new cache (its gather may still be running); this one stays valid until released
   */
  select(rows: ArrayLike<number>): RowCache {
    if (this.#released) throw new Error("select() on a released cache");
    const picked = Array.from(rows);
    for (const r of picked) {
      if (!(Number.isInteger(r) && r >= 0 && r < this.rows)) {
        throw new RangeError(`row ${r} out of range [0, ${this.rows})`);
      }
    }
    const gathered = this.#past.then((p) => this.#tensors.gather(p, picked));
    this.#readers.push(gathered);
    const rowImage = Int32Array.from(picked, (r) => this.rowImage[r]);
    return new RowCache(this.#tensors, rowImage, gathered, this.pastLength);
  }

  /** Frees the tensors once every pending read of them is done; idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    void Promise.allSettled([this.#past, ...this.#readers]).then(async () => {
      let past: readonly OrtTensor[];
      try {
        past = await this.#past;
      } catch {
        return; // a failed gather left nothing to free
      }
      for (const t of past) this.#tensors.dispose(t);
    });
  }
}

/**
 * `DecoderStepper.select` for every stepper that keeps a {@link RowCache}.
 * @param cache a cache of the stepper, not released
 * @param rows source row of each new row
 * @returns the new cache
 */
export function selectRows(cache: DecoderCache, rows: ArrayLike<number>): DecoderCache {
  return RowCache.of(cache, "select()").select(rows);
}

/**
 * `DecoderStepper.release` for every stepper that keeps a {@link RowCache} (idempotent).
 * @param cache a cache of the stepper
 */
export function releaseRows(cache: DecoderCache): void {
  if (!(cache instanceof RowCache)) {
    throw new TypeError("release() needs a cache from this decoder's start() or step()");
  }
  cache.release();
}
