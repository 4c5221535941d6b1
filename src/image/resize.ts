/**
 * PIL-exact resizing of RGB images: a port of Pillow 9.4's `Image.resize` (src/PIL/Image.py),
 * `_resize` (src/_imaging.c), `libImaging/Resample.c` (separable convolution with fixed-point
 * coefficients, filter support widened by the scale when shrinking) and, for NEAREST,
 * `libImaging/Geometry.c` (`ImagingScaleAffine`). Output bytes equal PIL's, bit for bit.
 * @module
 */

import { assertRgbImage, type RgbImage } from "./rgb_image.ts";
import { reduce } from "./reduce.ts";

/** PIL's resampling filter numbers (`PIL.Image.Resampling`), as stored in preprocessor configs. */
export const Resampling = {
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const;

/** One of PIL's resampling filter numbers, 0 to 5. */
export type ResampleFilter = typeof Resampling[keyof typeof Resampling];

/** Options of {@link resize}, named as in `PIL.Image.resize`. */
export interface ResizeOptions {
  /** Filter number; default BICUBIC (PIL's default for RGB). */
  resample?: ResampleFilter;
  /** Source region [x0, y0, x1, y1] in pixels (floats allowed); default the whole image. */
  box?: readonly [number, number, number, number];
  /** PIL's `reducing_gap`: shrink by an integer factor with `reduce()` first when >= this gap. */
  reducingGap?: number | null;
}

interface Filter {
  fn: (x: number) => number;
  support: number;
}

// Filters exactly as in Resample.c, evaluated in double precision.
const boxFilter = (x: number): number => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0);
const bilinearFilter = (x: number): number => {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
};
// Resample.c writes 0.54f and 0.46f: float constants promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);
const hammingFilter = (x: number): number => {
  if (x < 0.0) x = -x;
  if (x === 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * Math.PI;
  return Math.sin(x) / x * (HAMMING_A + HAMMING_B * Math.cos(x));
};
const bicubicFilter = (x: number): number => {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
};
const sincFilter = (x: number): number => {
  if (x === 0.0) return 1.0;
  x = x * Math.PI;
  return Math.sin(x) / x;
};
const lanczosFilter = (x: number): number =>
  -3.0 <= x && x < 3.0 ? sincFilter(x) * sincFilter(x / 3) : 0.0;

const FILTERS: Record<number, Filter> = {
  [Resampling.BOX]: { fn: boxFilter, support: 0.5 },
  [Resampling.BILINEAR]: { fn: bilinearFilter, support: 1.0 },
  [Resampling.HAMMING]: { fn: hammingFilter, support: 1.0 },
  [Resampling.BICUBIC]: { fn: bicubicFilter, support: 2.0 },
  [Resampling.LANCZOS]: { fn: lanczosFilter, support: 3.0 },
};

/** `_filters_support` of Image.py, used by `_get_safe_box`. */
const FILTER_SUPPORT: Record<number, number> = {
  [Resampling.BOX]: 0.5,
  [Resampling.BILINEAR]: 1.0,
  [Resampling.HAMMING]: 1.0,
  [Resampling.BICUBIC]: 2.0,
  [Resampling.LANCZOS]: 3.0,
};

/** 8 bits for the result, 2 for overflow: coefficients are fixed point with 22 fraction bits. */
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

interface Coeffs {
  ksize: number;
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  /** Per output pixel: `ksize` fixed-point weights. */
  kk: Int32Array;
}

/**
 * `precompute_coeffs` + `normalize_coeffs_8bpc`. `in0` and `in1` are C floats in Pillow.
 */
function precomputeCoeffs(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  filter: Filter,
): Coeffs {
  const scale = Math.fround(Math.fround(in1) - Math.fround(in0)) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  const start = Math.fround(in0);
  for (let xx = 0; xx < outSize; xx++) {
    const center = start + (xx + 0.5) * scale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0.0 ? k[x] / ww : k[x];
      kk[base + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** `ImagingResampleHorizontal_8bpc` over `rows` source rows starting at `rowOffset`. */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  rowOffset: number,
  rows: number,
  outWidth: number,
  c: Coeffs,
): Uint8Array {
  const out = new Uint8Array(outWidth * rows * 3);
  const { ksize, bounds, kk } = c;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowOffset) * srcWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      let s0 = HALF, s1 = HALF, s2 = HALF;
      let p = rowBase + xmin * 3;
      for (let x = 0; x < xmax; x++, p += 3) {
        const w = kk[kBase + x];
        s0 += src[p] * w;
        s1 += src[p + 1] * w;
        s2 += src[p + 2] * w;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
  return out;
}

/** `ImagingResampleVertical_8bpc`; `rowShift` is subtracted from every source row index. */
function resampleVertical(
  src: Uint8Array,
  width: number,
  outHeight: number,
  c: Coeffs,
  rowShift: number,
): Uint8Array {
  const rowLen = width * 3;
  const out = new Uint8Array(rowLen * outHeight);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2] - rowShift;
    const ymax = bounds[yy * 2 + 1];
    const kBase = yy * ksize;
    const o = yy * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let s = HALF;
      let p = ymin * rowLen + i;
      for (let y = 0; y < ymax; y++, p += rowLen) s += src[p] * kk[kBase + y];
      out[o + i] = clip8(s);
    }
  }
  return out;
}

/** `ImagingResampleInner`: horizontal pass (only over the rows the vertical pass reads), then vertical. */
function resampleConvolution(
  image: RgbImage,
  xsize: number,
  ysize: number,
  filter: Filter,
  box: readonly number[],
): RgbImage {
  const fb = box.map((v) => Math.fround(v));
  const needHorizontal = xsize !== image.width || fb[0] !== 0 || fb[2] !== xsize;
  const needVertical = ysize !== image.height || fb[1] !== 0 || fb[3] !== ysize;
  const vert = precomputeCoeffs(image.height, fb[1], fb[3], ysize, filter);
  const yboxFirst = vert.bounds[0];
  const yboxLast = vert.bounds[ysize * 2 - 2] + vert.bounds[ysize * 2 - 1];
  let data = image.data;
  let width = image.width;
  let rowShift = 0;
  if (needHorizontal) {
    const horiz = precomputeCoeffs(image.width, fb[0], fb[2], xsize, filter);
    data = resampleHorizontal(data, width, yboxFirst, yboxLast - yboxFirst, xsize, horiz);
    width = xsize;
    rowShift = yboxFirst;
  }
  if (needVertical) {
    data = resampleVertical(data, width, ysize, vert, rowShift);
    return { width, height: ysize, data };
  }
  return {
    width,
    height: needHorizontal ? yboxLast - yboxFirst : image.height,
    data: data.slice(),
  };
}

/** `_resize` with NEAREST: `ImagingScaleAffine` (accumulated double steps, black fill outside). */
function resampleNearest(
  image: RgbImage,
  xsize: number,
  ysize: number,
  box: readonly number[],
): RgbImage {
  const fb = box.map((v) => Math.fround(v));
  const a0 = Math.fround(fb[2] - fb[0]) / xsize;
  const a4 = Math.fround(fb[3] - fb[1]) / ysize;
  const coord = (v: number): number => (v < 0.0 ? -1 : Math.trunc(v));
  const xintab = new Int32Array(xsize).fill(-1);
  let xo = fb[0] + a0 * 0.5;
  for (let x = 0; x < xsize; x++) {
    const xin = coord(xo);
    if (xin >= 0 && xin < image.width) xintab[x] = xin;
    xo += a0;
  }
  const out = new Uint8Array(xsize * ysize * 3);
  const src = image.data;
  let yo = fb[1] + a4 * 0.5;
  for (let y = 0; y < ysize; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < image.height) {
      const row = yi * image.width;
      for (let x = 0; x < xsize; x++) {
        const xin = xintab[x];
        if (xin < 0) continue;
        const s = (row + xin) * 3, d = (y * xsize + x) * 3;
        out[d] = src[s];
        out[d + 1] = src[s + 1];
        out[d + 2] = src[s + 2];
      }
    }
    yo += a4;
  }
  return { width: xsize, height: ysize, data: out };
}

/**
 * Copies the integer-aligned region [x0, y0, x0 + w, y0 + h) (PIL's `crop`, inside the image).
 * @param image the source image
 * @param x0 left column
 * @param y0 top row
 * @param w width of the region
 * @param h height of the region
 * @returns the cropped copy
 */
export function cropRgb(image: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const s = ((y0 + y) * image.width + x0) * 3;
    out.set(image.data.subarray(s, s + w * 3), y * w * 3);
  }
  return { width: w, height: h, data: out };
}

function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`resize(): ${what} must be a positive integer, got ${n}`);
  }
}

/**
 * Resizes an RGB image exactly as Pillow 9.4's `Image.resize((width, height), resample, box,
 * reducing_gap)` does on an RGB image.
 * @param image the source image
 * @param width output width
 * @param height output height
 * @param options filter (default BICUBIC), source box, reducing gap
 * @returns a new image; never the input object
 * @example
 * ```ts
 * const img = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 255, 255, 255]) };
 * const out = resize(img, 1, 1, { resample: Resampling.BILINEAR });
 * // out.data is [128, 128, 128]
 * ```
 */
export function resize(
  image: RgbImage,
  width: number,
  height: number,
  options: ResizeOptions = {},
): RgbImage {
  assertRgbImage(image);
  checkSize(width, "width");
  checkSize(height, "height");
  const resample = options.resample ?? Resampling.BICUBIC;
  if (resample !== Resampling.NEAREST && !(resample in FILTERS)) {
    throw new RangeError(`resize(): unknown resampling filter ${resample}; expected 0 to 5`);
  }
  const reducingGap = options.reducingGap ?? null;
  if (reducingGap !== null && !(reducingGap >= 1.0)) {
    throw new RangeError(`resize(): reducingGap must be 1.0 or greater, got ${reducingGap}`);
  }
  let box: number[] = options.box ? [...options.box] : [0, 0, image.width, image.height];
  if (
    box.some((v) => !Number.isFinite(v)) || box[0] < 0 || box[1] < 0 ||
    box[2] > image.width || box[3] > image.height || box[2] - box[0] < 0 ||
    box[3] - box[1] < 0
  ) {
    throw new RangeError(
      `resize(): box [${box}] must lie within the ${image.width}x${image.height} image and not be empty`,
    );
  }
  if (
    width === image.width && height === image.height && box[0] === 0 && box[1] === 0 &&
    box[2] === image.width && box[3] === image.height
  ) {
    return { width, height, data: image.data.slice() };
  }
  let src = image;
  if (reducingGap !== null && resample !== Resampling.NEAREST) {
    const factorX = Math.trunc((box[2] - box[0]) / width / reducingGap) || 1;
    const factorY = Math.trunc((box[3] - box[1]) / height / reducingGap) || 1;
    if (factorX > 1 || factorY > 1) {
      const support = FILTER_SUPPORT[resample] - 0.5;
      const supportX = support * ((box[2] - box[0]) / width);
      const supportY = support * ((box[3] - box[1]) / height);
      const reduceBox: [number, number, number, number] = [
        Math.max(0, Math.trunc(box[0] - supportX)),
        Math.max(0, Math.trunc(box[1] - supportY)),
        Math.min(image.width, Math.ceil(box[2] + supportX)),
        Math.min(image.height, Math.ceil(box[3] + supportY)),
      ];
      src = reduce(image, factorX, factorY, reduceBox);
      box = [
        (box[0] - reduceBox[0]) / factorX,
        (box[1] - reduceBox[1]) / factorY,
        (box[2] - reduceBox[0]) / factorX,
        (box[3] - reduceBox[1]) / factorY,
      ];
    }
  }
  // _resize: an integer box of exactly the output size is a crop.
  const fb = box.map((v) => Math.fround(v));
  if (
    fb[0] === Math.trunc(fb[0]) && Math.fround(fb[2] - fb[0]) === width &&
    fb[1] === Math.trunc(fb[1]) && Math.fround(fb[3] - fb[1]) === height
  ) {
    return cropRgb(src, Math.trunc(fb[0]), Math.trunc(fb[1]), width, height);
  }
  if (resample === Resampling.NEAREST) return resampleNearest(src, width, height, box);
  return resampleConvolution(src, width, height, FILTERS[resample], box);
}
