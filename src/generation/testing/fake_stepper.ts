/**
 * A DecoderStepper for tests: logits come from a function of (image, token history), and the
 * cache records each row's history and image, so loops can be checked for what they fed, which
 * rows they selected, and whether they released every cache.
 * @module
 */
import type { DecoderCache, DecoderStepper, StepOutput } from "../decoder_stepper.ts";

/** Logits of one row given its image and its tokens so far. */
export type FakeLogits = (image: number, history: readonly number[]) => ArrayLike<number>;

/** A fake cache: the rows' histories. */
export interface FakeCache extends DecoderCache {
  readonly histories: number[][];
  readonly id: number;
}

/** A deterministic in-memory stepper that records its calls. */
export class FakeStepper implements DecoderStepper {
  /** Histories given to each `start` call. */
  readonly starts: number[][][] = [];
  /** Row counts of each `step` call. */
  readonly stepRows: number[] = [];
  /** Row selections of each `select` call. */
  readonly selects: number[][] = [];
  readonly #live = new Set<number>();
  #nextId = 0;

  /**
   * @param vocabSize logits per row
   * @param images images bound
   * @param logits the logits function
   * @param maxPositions position limit
   * @param delayMs artificial latency of start/step (abort tests)
   */
  constructor(
    readonly vocabSize: number,
    readonly images: number,
    readonly logits: FakeLogits,
    readonly maxPositions = Infinity,
    readonly delayMs = 0,
  ) {}

  /** Number of caches created and not yet released. */
  get liveCaches(): number {
    return this.#live.size;
  }

  #make(histories: number[][], rowImage: number[]): FakeCache {
    const id = this.#nextId++;
    this.#live.add(id);
    return { rows: histories.length, rowImage: Int32Array.from(rowImage), histories, id };
  }

  #check(cache: DecoderCache): FakeCache {
    const c = cache as FakeCache;
    if (!this.#live.has(c.id)) throw new Error(`fake cache ${c.id} used after release`);
    return c;
  }

  async #output(cache: FakeCache): Promise<StepOutput> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const out = new Float32Array(cache.rows * this.vocabSize);
    cache.histories.forEach((h, r) => {
      const row = this.logits(cache.rowImage[r], h);
      if (row.length !== this.vocabSize) throw new Error("fake logits of the wrong length");
      out.set(Array.from(row), r * this.vocabSize);
    });
    return { logits: out, cache };
  }

  /** @param inputIds one prompt per image @returns logits and cache */
  start(inputIds: readonly (readonly number[])[]): Promise<StepOutput> {
    if (inputIds.length !== this.images) throw new Error("start needs one row per image");
    this.starts.push(inputIds.map((p) => [...p]));
    const c = this.#make(inputIds.map((p) => [...p]), inputIds.map((_, i) => i));
    return this.#output(c);
  }

  /** @param cache input cache @param tokens one per row @returns logits and new cache */
  step(cache: DecoderCache, tokens: ArrayLike<number>): Promise<StepOutput> {
    const c = this.#check(cache);
    if (tokens.length !== c.rows) throw new Error(`step got ${tokens.length} tokens for ${c.rows}`);
    const hs = c.histories.map((h, r) => [...h, tokens[r]]);
    if (hs[0].length > this.maxPositions) throw new Error("fake decoder fed past maxPositions");
    this.stepRows.push(c.rows);
    return this.#output(this.#make(hs, Array.from(c.rowImage)));
  }

  /** @param cache source @param rows source row per new row @returns the new cache */
  select(cache: DecoderCache, rows: ArrayLike<number>): DecoderCache {
    const c = this.#check(cache);
    const sel = Array.from(rows);
    this.selects.push(sel);
    return this.#make(sel.map((r) => [...c.histories[r]]), sel.map((r) => c.rowImage[r]));
  }

  /** @param cache the cache to free (idempotent) */
  release(cache: DecoderCache): void {
    this.#live.delete((cache as FakeCache).id);
  }
}

/**
 * Logits from a table keyed by the history (tokens joined by ","), with a default row.
 * @param vocab vocabulary size
 * @param table history key -> logits
 * @param fallback logits for histories not in the table
 * @returns a logits function ignoring the image
 */
export function tableLogits(
  vocab: number,
  table: Record<string, number[]>,
  fallback: number[] = new Array(vocab).fill(0),
): FakeLogits {
  return (_image, history) => table[history.join(",")] ?? fallback;
}
