/**
 * Runs the encoder graph once per image. Results are kept in a small LRU keyed by a hash of the
 * image's pixel values, so the same image captioned again (other options, another request) skips
 * the encoder; a batch runs only its images that miss. Images of the same size waiting in the run
 * queue, from this call or from concurrent ones, are encoded in one run (dynamic batching), each
 * distinct image once.
 * @module
 */
import type { FloatTensor } from "../tensor.ts";
import type { GraphSession, MergedRunOptions, RunOptions } from "./graph_session.ts";
import type { OrtTensor } from "./ort.ts";
import { cpuData } from "./tensors.ts";

/** Counters a test or benchmark reads. */
export interface EncoderStats {
  /** Images actually encoded. */
  encoded: number;
  /** Images answered from the cache. */
  cacheHits: number;
}

/** Most images encoded in one merged run. */
const MAX_BATCH = 32;

interface Encoded {
  data: Float32Array;
  dims: number[];
}

/** One image waiting to be encoded. */
interface EncodeRequest {
  key: string;
  pixels: Float32Array;
  dims: readonly number[];
}

/** 64-bit FNV-1a over the pixel bytes, as a hex string (two 32-bit lanes). */
function hashPixels(data: Float32Array, dims: readonly number[]): string {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let a = 0x811c9dc5, b = 0x01000193 ^ words.length;
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ words[i], 0x01000193);
    b = Math.imul(b ^ words[i], 0x5bd1e995) ^ (b >>> 15);
  }
  return `${dims.join("x")}:${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

/** The encoder with its per-image cache. */
export class EncoderRunner {
  /** Counters. */
  readonly stats: EncoderStats = { encoded: 0, cacheHits: 0 };
  readonly #session: GraphSession;
  readonly #capacity: number;
  readonly #cache = new Map<string, Encoded>();
  readonly #encodeOne: (req: EncodeRequest, options: MergedRunOptions) => Promise<Encoded>;

  /**
   * @param session the encoder graph (pixel_values -> last_hidden_state)
   * @param capacity images kept in the cache (0 disables it)
   */
  constructor(session: GraphSession, capacity = 8) {
    this.#session = session;
    this.#capacity = capacity;
    this.#encodeOne = session.merged<EncodeRequest, Encoded>({
      maxBatch: MAX_BATCH,
      feeds: (reqs) => this.#feeds(reqs),
      split: (out, reqs) => this.#split(out, reqs),
    });
  }

  /** The graph. */
  get session(): GraphSession {
    return this.#session;
  }

  /** One run's pixel_values: each distinct image of the merged requests once. */
  #feeds(reqs: EncodeRequest[]): Record<string, OrtTensor> {
    const distinct = [...new Map(reqs.map((r) => [r.key, r])).values()];
    const per = distinct[0].pixels.length;
    const input = new Float32Array(distinct.length * per);
    distinct.forEach((r, j) => input.set(r.pixels, j * per));
    const ort = this.#session.backend.ort;
    return { pixel_values: new ort.Tensor("float32", input, [distinct.length, ...reqs[0].dims]) };
  }

  #split(out: Record<string, OrtTensor>, reqs: EncodeRequest[]): Encoded[] {
    const t = out.last_hidden_state ?? out[this.#session.outputNames[0]];
    const data = cpuData(t);
    const keys = [...new Set(reqs.map((r) => r.key))];
    const size = data.length / keys.length;
    this.stats.encoded += keys.length;
    const rows = new Map(keys.map((k, j) => {
      const entry = { data: data.slice(j * size, (j + 1) * size), dims: t.dims.slice(1) };
      this.#remember(k, entry);
      return [k, entry];
    }));
    return reqs.map((r) => rows.get(r.key)!);
  }

  /**
   * Encodes a batch of images.
   * @param pixels [images, 3, H, W]
   * @param options an AbortSignal
   * @returns last_hidden_state [images, seq, hidden] in CPU memory
   */
  async encode(pixels: FloatTensor, options: RunOptions = {}): Promise<OrtTensor> {
    const ort = this.#session.backend.ort;
    const [n, ...img] = pixels.dims;
    const per = pixels.data.length / n;
    const batchKey = img.join("x");
    const pending = new Map<string, Promise<Encoded>>();
    const rows: (Encoded | string)[] = [];
    for (let i = 0; i < n; i++) {
      const slice = pixels.data.subarray(i * per, (i + 1) * per);
      const key = hashPixels(slice, img);
      const hit = this.#cache.get(key);
      if (hit) {
        this.stats.cacheHits++;
        this.#touch(key, hit);
        rows.push(hit);
        continue;
      }
      if (!pending.has(key)) {
        const req = { key, pixels: slice, dims: img };
        pending.set(key, this.#encodeOne(req, { signal: options.signal, batchKey }));
      }
      rows.push(key);
    }
    const done = new Map<string, Encoded>();
    // settle every request before reading them, so no rejection is left unobserved
    const settled = await Promise.allSettled(pending.values());
    const keys = [...pending.keys()];
    for (let j = 0; j < settled.length; j++) {
      const s = settled[j];
      if (s.status === "rejected") throw s.reason;
      done.set(keys[j], s.value);
    }
    const parts = rows.map((r) => typeof r === "string" ? done.get(r)! : r);
    const size = parts[0].data.length;
    const all = new Float32Array(n * size);
    parts.forEach((r, i) => all.set(r.data, i * size));
    return new ort.Tensor("float32", all, [n, ...parts[0].dims]);
  }

  #touch(k: string, v: Encoded): void {
    this.#cache.delete(k);
    this.#cache.set(k, v);
  }

  #remember(k: string, v: Encoded): void {
    if (this.#capacity <= 0) return;
    this.#cache.set(k, v);
    while (this.#cache.size > this.#capacity) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
  }
}
