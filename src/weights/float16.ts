/**
 * Bit-exact conversions between float32 and the two 16-bit float formats checkpoints use:
 * IEEE binary16 (torch.float16) and bfloat16 (torch.bfloat16). Narrowing rounds to nearest,
 * ties to even, as torch does (c10's `fp16_ieee_from_fp32_value` and `round_to_nearest_even`);
 * NaN keeps its sign and becomes the quiet NaN torch writes (0x7E00 / 0x7FC0).
 * @module
 */

/**
 * Widens one binary16 bit pattern to the float32 value it denotes (exact: every binary16 value,
 * subnormals included, is representable in float32).
 * @param h the 16-bit pattern, 0..65535
 * @returns the value as a JS number (a float32 value)
 * @example
 * ```ts
 * import { f16BitsToNumber } from "./float16.ts";
 * f16BitsToNumber(0x3c00); // 1
 * ```
 */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) {
    if (man !== 0) {
      // Keep sign and payload bits as torch does (widen the payload into the float32 mantissa).
      const bits = new Uint32Array([((h & 0x8000) << 16) | 0x7f800000 | (man << 13)]);
      return new Float32Array(bits.buffer)[0];
    }
    return sign * Infinity;
  }
  return sign * (1024 + man) * 2 ** (exp - 25);
}

/**
 * Narrows a float32 bit pattern to binary16, rounding to nearest even (torch's algorithm:
 * overflow gives infinity, underflow gives subnormals or signed zero).
 * @param w the float32 bit pattern
 * @returns the 16-bit pattern
 * @example
 * ```ts
 * import { f32BitsToF16Bits } from "./float16.ts";
 * f32BitsToF16Bits(0x3f800000); // 0x3c00
 * ```
 */
export function f32BitsToF16Bits(w: number): number {
  w >>>= 0;
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  if (abs >= 0x477ff000) return sign | 0x7c00; // rounds to >= 65520: infinity
  if (abs < 0x38800000) {
    // Result is subnormal (or zero): value = abs / 2^-24 rounded to an integer, ties to even.
    if (abs < 0x33000000) return sign; // below half the smallest subnormal: zero
    const e = abs >>> 23;
    const m = (abs & 0x7fffff) | 0x800000; // value = m * 2^(e - 150)
    const shift = 126 - e; // m * 2^(e-150) / 2^-24 = m >> (126 - e)
    const q = m >>> shift;
    const rem = m - (q << shift);
    const half = 1 << (shift - 1);
    const r = rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
    return sign | r;
  }
  // Normal: rebias exponent (127 -> 15) and round the 23-bit mantissa to 10 bits.
  const base = abs - 0x38000000; // exponent now biased by 15, still in float32 mantissa layout
  const q = base >>> 13;
  const rem = base & 0x1fff;
  const r = rem > 0x1000 || (rem === 0x1000 && (q & 1) === 1) ? q + 1 : q;
  return sign | r; // a carry into the exponent is the correct result (up to 0x7c00 = inf)
}

/**
 * Narrows a float32 bit pattern to bfloat16 with torch's round-to-nearest-even.
 * @param w the float32 bit pattern
 * @returns the 16-bit pattern
 * @example
 * ```ts
 * import { f32BitsToBf16Bits } from "./float16.ts";
 * f32BitsToBf16Bits(0x3f808000); // 0x3f80 (tie to even)
 * ```
 */
export function f32BitsToBf16Bits(w: number): number {
  w >>>= 0;
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) & 0x8000) | 0x7fc0;
  const bias = ((w >>> 16) & 1) + 0x7fff;
  return ((w + bias) >>> 16) & 0xffff;
}

/**
 * Returns the float32 bit pattern of a number (after rounding it to float32).
 * @param x any number
 * @returns its float32 bits
 */
export function numberToF32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}
