/**
 * Runs the encoder graph once per image. Results are kept in a small LRU keyed by a hash of the
 * image's pixel values, so the same image captioned again (other options, another request) skips
 * the encoder; a batch runs only its images that miss.
 * @module
 */
import type { FloatTensor } from "../tensor.ts";
import type { GraphSession } from "./graph_session.ts";
import type { OrtTensor } from "./ort.ts";
import { cpuData } from "./tensors.ts";

/** Counters a test or benchmark reads. */
export interface EncoderStats {
  /** Images actually encoded. */
  encoded: number;
  /** Images answered from the cache. */
  cacheHits: number;
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
  readonly #cache = new Map<string, { data: Float32Array; dims: number[] }>();

  /**
   * @param session the encoder graph (pixel_values -> last_hidden_state)
   * @param capacity images kept in the cache (0 disables it)
   */
  constructor(session: GraphSession, capacity = 8) {
    this.#session = session;
    this.#capacity = capacity;
  }

  /** The graph. */
  get session(): GraphSession {
    return this.#session;
  }

  /**
   * Encodes a batch of images.
   * @param pixels [images, 3, H, W]
   * @returns last_hidden_state [images, seq, hidden] in CPU memory
   */
  async encode(pixels: FloatTensor): Promise<OrtTensor> {
    const ort = this.#session.backend.ort;
    const [n, ...img] = pixels.dims;
    const per = pixels.data.length / n;
    const keys: string[] = [];
    const missing: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = hashPixels(pixels.data.subarray(i * per, (i + 1) * per), img);
      keys.push(k);
      if (this.#cache.has(k)) this.stats.cacheHits++;
      else if (!missing.some((j) => keys[j] === k)) missing.push(i);
    }
    const fresh = new Map<string, { data: Float32Array; dims: number[] }>();
    if (missing.length) {
      const input = new Float32Array(missing.length * per);
      missing.forEach((i, j) => input.set(pixels.data.subarray(i * per, (i + 1) * per), j * per));
      const out = await this.#session.run({
        pixel_values: new ort.Tensor("float32", input, [missing.length, ...img]),
      });
      const t = out.last_hidden_state ?? out[this.#session.outputNames[0]];
      const data = cpuData(t);
      const size = data.length / missing.length;
      this.stats.encoded += missing.length;
      missing.forEach((i, j) => {
        const entry = { data: data.slice(j * size, (j + 1) * size), dims: t.dims.slice(1) };
        fresh.set(keys[i], entry);
        this.#remember(keys[i], entry);
      });
    }
    const rows = keys.map((k) => fresh.get(k) ?? this.#touch(k));
    const size = rows[0].data.length;
    const all = new Float32Array(n * size);
    rows.forEach((r, i) => all.set(r.data, i * size));
    return new ort.Tensor("float32", all, [n, ...rows[0].dims]);
  }

  #touch(k: string): { data: Float32Array; dims: number[] } {
    const v = this.#cache.get(k)!;
    this.#cache.delete(k);
    this.#cache.set(k, v);
    return v;
  }

  #remember(k: string, v: { data: Float32Array; dims: number[] }): void {
    if (this.#capacity <= 0) return;
    this.#cache.set(k, v);
    while (this.#cache.size > this.#capacity) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
  }
}
