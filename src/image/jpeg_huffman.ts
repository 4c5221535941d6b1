/**
 * The entropy-coded layer of sequential JPEG: Huffman tables, a bit reader over byte stuffing
 * that stops at markers (a marker inside a scan means the data is truncated), restart markers,
 * and the zigzag order of coefficients.
 * @module
 */
import { ImageDecodeError } from "../errors.ts";

/** A Huffman table. */
export interface Huffman {
  /** code -> value lookup keyed by (length << 16 | code). */
  map: Map<number, number>;
}

/** Zigzag index -> natural (row-major) index. */
export const ZIGZAG = Int32Array.from([
  0,
  1,
  8,
  16,
  9,
  2,
  3,
  10,
  17,
  24,
  32,
  25,
  18,
  11,
  4,
  5,
  12,
  19,
  26,
  33,
  40,
  48,
  41,
  34,
  27,
  20,
  13,
  6,
  7,
  14,
  21,
  28,
  35,
  42,
  49,
  56,
  57,
  50,
  43,
  36,
  29,
  22,
  15,
  23,
  30,
  37,
  44,
  51,
  58,
  59,
  52,
  45,
  38,
  31,
  39,
  46,
  53,
  60,
  61,
  54,
  47,
  55,
  62,
  63,
]);

/**
 * Throws ImageDecodeError(`Cannot decode JPEG: ${what}`).
 * @param what the problem
 * @returns never
 */
export const fail = (what: string): never => {
  throw new ImageDecodeError(`Cannot decode JPEG: ${what}`);
};

/**
 * Builds a table from a DHT segment's code counts and values.
 * @param counts codes of each length 1..16
 * @param values the symbols
 * @returns the table
 */
export function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const map = new Map<number, number>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]; i++) map.set((len << 16) | code++, values[k++]);
    code <<= 1;
  }
  return { map };
}

/** Entropy-coded data reader (exported for the decoder): bit buffer over 0xFF00 stuffing, stopping at markers. */
export class BitReader {
  #pos: number;
  #bits = 0;
  #count = 0;
  marker: number | null = null;
  constructor(readonly bytes: Uint8Array, start: number) {
    this.#pos = start;
  }
  get pos(): number {
    return this.#pos;
  }
  bit(): number {
    if (this.#count === 0) {
      if (this.marker !== null || this.#pos >= this.bytes.length) {
        fail("the image data is truncated (premature end of the entropy-coded data)");
      }
      const b = this.bytes[this.#pos++];
      if (b === 0xff) {
        const next = this.bytes[this.#pos];
        if (next === 0) this.#pos++;
        else {
          this.marker = next;
          this.#pos--;
          fail(`the image data is truncated (marker 0xFF${next.toString(16)} inside a scan)`);
        }
      }
      this.#bits = b;
      this.#count = 8;
    }
    this.#count--;
    return (this.#bits >> this.#count) & 1;
  }
  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }
  decode(table: Huffman): number {
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | this.bit();
      const v = table.map.get((len << 16) | code);
      if (v !== undefined) return v;
    }
    return fail("the image data is corrupt (bad Huffman code)");
  }
  /** Skips to and past an expected RSTn marker. */
  restart(): void {
    this.#count = 0;
    while (this.#pos + 1 < this.bytes.length) {
      if (
        this.bytes[this.#pos] === 0xff && this.bytes[this.#pos + 1] >= 0xd0 &&
        this.bytes[this.#pos + 1] <= 0xd7
      ) {
        this.#pos += 2;
        return;
      }
      this.#pos++;
    }
    fail("the image data is truncated (missing restart marker)");
  }
}

/**
 * JPEG's EXTEND: a received magnitude of t bits to its signed value.
 * @param v the bits
 * @param t their count
 * @returns the value
 */
export const extend = (v: number, t: number): number => (v < 1 << (t - 1) ? v - (1 << t) + 1 : v);
