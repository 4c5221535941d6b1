/**
 * Pillow 9.4's `Image.reduce(factor, box)` for RGB images (libImaging/Reduce.c): each output pixel
 * is the rounded mean of a `factorX` x `factorY` block (smaller blocks on the right and bottom
 * edges), computed with Pillow's fixed-point reciprocal so results match bit for bit. `resize()`
 * uses it when a `reducingGap` is given (transformers' Donut thumbnail passes 2.0).
 * @module
 */

import type { RgbImage } from "./rgb_image.ts";

/** `division_UINT32(divider, 8)`: a float quotient truncated to an unsigned 32-bit integer. */
function reciprocal(count: number): number {
  return Math.trunc(Math.fround(4294967296 / Math.fround(256 * count)));
}

/**
 * Reduces an image by integer factors over a source box, as `PIL.Image.reduce` does.
 * @param image the source image
 * @param factorX horizontal factor (>= 1)
 * @param factorY vertical factor (>= 1)
 * @param box integer source region [x0, y0, x1, y1]; default the whole image
 * @returns the reduced image, ceil(width / factorX) x ceil(height / factorY) of the box
 */
export function reduce(
  image: RgbImage,
  factorX: number,
  factorY: number,
  box: readonly [number, number, number, number] = [0, 0, image.width, image.height],
): RgbImage {
  if (!Number.isInteger(factorX) || !Number.isInteger(factorY) || factorX < 1 || factorY < 1) {
    throw new RangeError(`reduce(): factors must be positive integers, got ${factorX}x${factorY}`);
  }
  const [x0, y0, x1, y1] = box;
  if (
    !box.every(Number.isInteger) || x0 < 0 || y0 < 0 || x1 > image.width ||
    y1 > image.height || x1 <= x0 || y1 <= y0
  ) {
    throw new RangeError(`reduce(): box [${box}] must be a non-empty integer box inside the image`);
  }
  const w = x1 - x0, h = y1 - y0;
  const outW = Math.ceil(w / factorX), outH = Math.ceil(h / factorY);
  const out = new Uint8Array(outW * outH * 3);
  const src = image.data;
  const stride = image.width * 3;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const ya = y0 + y * factorY;
    const yb = Math.min(ya + factorY, y1);
    for (let x = 0; x < outW; x++) {
      const xa = x0 + x * factorX;
      const xb = Math.min(xa + factorX, x1);
      const count = (xb - xa) * (yb - ya);
      const amend = Math.floor(count / 2);
      const mul = reciprocal(count);
      let s0 = amend, s1 = amend, s2 = amend;
      for (let yy = ya; yy < yb; yy++) {
        let p = yy * stride + xa * 3;
        for (let xx = xa; xx < xb; xx++, p += 3) {
          s0 += src[p];
          s1 += src[p + 1];
          s2 += src[p + 2];
        }
      }
      // (ss * multiplier) >> 24 on UINT32: the product stays below 2^32 for 8-bit sums.
      out[o++] = Math.floor((s0 * mul) / 16777216);
      out[o++] = Math.floor((s1 * mul) / 16777216);
      out[o++] = Math.floor((s2 * mul) / 16777216);
    }
  }
  return { width: outW, height: outH, data: out };
}
