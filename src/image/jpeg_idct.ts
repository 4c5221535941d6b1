/**
 * libjpeg's accurate integer inverse DCT (`jpeg_idct_islow`, jidctint.c, as libjpeg-turbo 2.1
 * ships it and Pillow's decoder uses it by default): 13-bit constants, 2 extra bits between the
 * passes, the zero-AC shortcuts of both passes, and the post-IDCT range-limit table (values
 * wrap by `& 1023` before clamping). Integer products exceed 32 bits, so the arithmetic is done
 * in doubles, exact below 2^53, with floor shifts like C's arithmetic right shift.
 * @module
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

const descale = (x: number, n: number): number => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/** Post-IDCT range limit: sample = RANGE[v & 1023] for the IDCT output v (centred on 0). */
const RANGE = (() => {
  const t = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) {
    if (i < 128) t[i] = i + 128;
    else if (i < 512) t[i] = 255;
    else if (i < 896) t[i] = 0;
    else t[i] = i - 896;
  }
  return t;
})();

/**
 * One 8x8 block: dequantises the coefficients (natural order) and writes 64 samples.
 * @param coef 64 quantised coefficients in natural (row-major) order
 * @param quant 64 quantisation values in natural order
 * @param out destination plane
 * @param offset index of the block's top-left sample in `out`
 * @param stride row length of `out`
 * @param ws a 64-entry scratch buffer
 */
export function idctIslow(
  coef: Int32Array,
  quant: Uint16Array,
  out: Uint8Array,
  offset: number,
  stride: number,
  ws: Float64Array,
): void {
  // Pass 1: columns from the input into the work array, scaled up by 2^PASS1_BITS.
  for (let c = 0; c < 8; c++) {
    if (
      coef[8 + c] === 0 && coef[16 + c] === 0 && coef[24 + c] === 0 && coef[32 + c] === 0 &&
      coef[40 + c] === 0 && coef[48 + c] === 0 && coef[56 + c] === 0
    ) {
      const dc = coef[c] * quant[c] * 2 ** PASS1_BITS;
      for (let r = 0; r < 8; r++) ws[r * 8 + c] = dc;
      continue;
    }
    let z2 = coef[16 + c] * quant[16 + c];
    let z3 = coef[48 + c] * quant[48 + c];
    const z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[c] * quant[c];
    z3 = coef[32 + c] * quant[32 + c];
    let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
    let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = coef[56 + c] * quant[56 + c];
    tmp1 = coef[40 + c] * quant[40 + c];
    tmp2 = coef[24 + c] * quant[24 + c];
    tmp3 = coef[8 + c] * quant[8 + c];
    [tmp0, tmp1, tmp2, tmp3] = odd(tmp0, tmp1, tmp2, tmp3);
    const n = CONST_BITS - PASS1_BITS;
    ws[c] = descale(tmp10 + tmp3, n);
    ws[56 + c] = descale(tmp10 - tmp3, n);
    ws[8 + c] = descale(tmp11 + tmp2, n);
    ws[48 + c] = descale(tmp11 - tmp2, n);
    ws[16 + c] = descale(tmp12 + tmp1, n);
    ws[40 + c] = descale(tmp12 - tmp1, n);
    ws[24 + c] = descale(tmp13 + tmp0, n);
    ws[32 + c] = descale(tmp13 - tmp0, n);
  }
  // Pass 2: rows from the work array to the output, descaled by 2^(CONST_BITS+PASS1_BITS+3).
  const n = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    const o = offset + r * stride;
    if (
      ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 &&
      ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0
    ) {
      out.fill(RANGE[descale(ws[w], PASS1_BITS + 3) & 1023], o, o + 8);
      continue;
    }
    const z2 = ws[w + 2];
    const z3 = ws[w + 6];
    const z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[w] + ws[w + 4]) * 2 ** CONST_BITS;
    let tmp1 = (ws[w] - ws[w + 4]) * 2 ** CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    [tmp0, tmp1, tmp2, tmp3] = odd(ws[w + 7], ws[w + 5], ws[w + 3], ws[w + 1]);
    out[o] = RANGE[descale(tmp10 + tmp3, n) & 1023];
    out[o + 7] = RANGE[descale(tmp10 - tmp3, n) & 1023];
    out[o + 1] = RANGE[descale(tmp11 + tmp2, n) & 1023];
    out[o + 6] = RANGE[descale(tmp11 - tmp2, n) & 1023];
    out[o + 2] = RANGE[descale(tmp12 + tmp1, n) & 1023];
    out[o + 5] = RANGE[descale(tmp12 - tmp1, n) & 1023];
    out[o + 3] = RANGE[descale(tmp13 + tmp0, n) & 1023];
    out[o + 4] = RANGE[descale(tmp13 - tmp0, n) & 1023];
  }
}

/** The odd part of both passes (inputs: coefficients 7, 5, 3, 1). */
function odd(t0: number, t1: number, t2: number, t3: number): [number, number, number, number] {
  let z1 = t0 + t3;
  let z2 = t1 + t2;
  let z3 = t0 + t2;
  let z4 = t1 + t3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  t0 *= FIX_0_298631336;
  t1 *= FIX_2_053119869;
  t2 *= FIX_3_072711026;
  t3 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  return [t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4];
}
