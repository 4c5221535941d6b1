/**
 * The numpy steps of transformers v4.27's image processors, on uint8 RGB images: `center_crop`
 * (with its zero padding when the crop is larger, including v4.27's off-by-one result for odd
 * padding), Donut's `pad_image` (centred) and `align_long_axis` (`np.rot90(image, 3)`), and the
 * final rescale + normalise to float32 channels-first, in numpy's order of float operations.
 * @module
 */

import { assertRgbImage, type RgbImage } from "./rgb_image.ts";
import { applyOrientation } from "./exif_orientation.ts";

/** Python's floor division for integers. */
const floorDiv = (a: number, b: number): number => Math.floor(a / b);

/**
 * Copies a region of `image` into a zero image of size `outW` x `outH` at (dx, dy).
 */
function place(
  image: RgbImage,
  sx: number,
  sy: number,
  w: number,
  h: number,
  out: Uint8Array,
  outW: number,
  dx: number,
  dy: number,
): void {
  for (let y = 0; y < h; y++) {
    const s = ((sy + y) * image.width + sx) * 3;
    out.set(image.data.subarray(s, s + w * 3), ((dy + y) * outW + dx) * 3);
  }
}

/**
 * transformers v4.27 `image_transforms.center_crop(image, (height, width))`.
 * When the crop is larger than the image it zero-pads first; with an odd amount of padding
 * v4.27 returns one row/column fewer than asked (fixed upstream in 2024; kept here for parity).
 * @param image the image
 * @param cropHeight requested height
 * @param cropWidth requested width
 * @returns the cropped (and possibly padded) image
 */
export function centerCrop(image: RgbImage, cropHeight: number, cropWidth: number): RgbImage {
  const H = image.height, W = image.width;
  let top = floorDiv(H - cropHeight, 2);
  let bottom = top + cropHeight;
  let left = floorDiv(W - cropWidth, 2);
  let right = left + cropWidth;
  if (top >= 0 && bottom <= H && left >= 0 && right <= W) {
    const out = new Uint8Array(cropWidth * cropHeight * 3);
    place(image, left, top, cropWidth, cropHeight, out, cropWidth, 0, 0);
    return { width: cropWidth, height: cropHeight, data: out };
  }
  const newH = Math.max(cropHeight, H), newW = Math.max(cropWidth, W);
  const topPad = floorDiv(newH - H, 2);
  const leftPad = floorDiv(newW - W, 2);
  top += topPad;
  bottom += topPad;
  left += leftPad;
  right += leftPad;
  const y0 = Math.max(0, top), y1 = Math.min(newH, bottom);
  const x0 = Math.max(0, left), x1 = Math.min(newW, right);
  const outW = x1 - x0, outH = y1 - y0;
  // The padded canvas has the image at (leftPad, topPad); copy the visible part of it.
  const out = new Uint8Array(outW * outH * 3);
  const ix0 = Math.max(x0, leftPad), ix1 = Math.min(x1, leftPad + W);
  const iy0 = Math.max(y0, topPad), iy1 = Math.min(y1, topPad + H);
  if (ix1 > ix0 && iy1 > iy0) {
    place(image, ix0 - leftPad, iy0 - topPad, ix1 - ix0, iy1 - iy0, out, outW, ix0 - x0, iy0 - y0);
  }
  return { width: outW, height: outH, data: out };
}

/**
 * Donut's `pad_image` without random padding: zeros around the image, centred (extra row or
 * column at the bottom / right), to exactly `height` x `width`.
 * @param image the image, no larger than the target
 * @param height target height
 * @param width target width
 * @returns the padded image
 */
export function padCentered(image: RgbImage, height: number, width: number): RgbImage {
  const dh = height - image.height, dw = width - image.width;
  if (dh < 0 || dw < 0) {
    throw new RangeError(
      `Cannot pad a ${image.width}x${image.height} image to ${width}x${height}: it is larger (numpy.pad refuses negative padding)`,
    );
  }
  const out = new Uint8Array(width * height * 3);
  place(image, 0, 0, image.width, image.height, out, width, floorDiv(dw, 2), floorDiv(dh, 2));
  return { width, height, data: out };
}

/**
 * `np.rot90(image, 3)` on an HWC array: a quarter turn clockwise.
 * @param image the image
 * @returns the rotated image
 */
export function rotateClockwise(image: RgbImage): RgbImage {
  return applyOrientation(image, 6);
}

/** Per-channel values after numpy's `np.array(v, dtype=float32)` broadcast to 3 channels. */
function channelValues(v: number | readonly number[], what: string): Float32Array {
  const list = typeof v === "number" ? [v, v, v] : v;
  if (list.length !== 3) {
    throw new RangeError(`${what} must have 3 elements if it is an iterable, got ${list.length}`);
  }
  return Float32Array.from(list);
}

/** Options of {@link toPixelValues}. */
export interface PixelValueOptions {
  /** Multiply by `rescaleFactor` (numpy: uint8 * float64, then cast to float32). */
  rescaleFactor?: number;
  /** `(x - mean) / std` in float32, per channel. */
  normalize?: { mean: number | readonly number[]; std: number | readonly number[] };
}

/**
 * Rescale, normalise and transpose to channels-first float32, written into `out` at `offset`.
 * @param image the uint8 image
 * @param options rescale factor and/or mean/std
 * @param out destination, 3 * height * width floats from `offset`
 * @param offset first index to write
 * @returns nothing; `out` holds the CHW values
 */
export function toPixelValues(
  image: RgbImage,
  options: PixelValueOptions,
  out: Float32Array,
  offset = 0,
): void {
  const plane = image.width * image.height;
  const src = image.data;
  const scale = options.rescaleFactor;
  const mean = options.normalize ? channelValues(options.normalize.mean, "mean") : undefined;
  const std = options.normalize ? channelValues(options.normalize.std, "std") : undefined;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * plane;
    const m = mean ? mean[c] : 0, s = std ? std[c] : 1;
    for (let i = 0, p = c; i < plane; i++, p += 3) {
      let x = scale === undefined ? src[p] : Math.fround(src[p] * scale);
      if (mean) x = Math.fround(Math.fround(x - m) / s);
      out[base + i] = x;
    }
  }
}

/**
 * What v4.27 hands PIL for an image 3 pixels tall, which it takes for channels-first:
 * `array.transpose(1, 2, 0)`, an image 3 wide and `width` tall whose pixel (x, y) has the
 * samples of rows 0, 1, 2 of column y at channel x.
 * @param image an RGB image 3 pixels tall
 * @returns the transposed image
 * @example
 * ```ts
 * import { transposeChannelsFirst } from "./transforms.ts";
 * const img = { width: 1, height: 3, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
 * console.assert(transposeChannelsFirst(img).data.join() === "1,4,7,2,5,8,3,6,9");
 * ```
 */
export function transposeChannelsFirst(image: RgbImage): RgbImage {
  assertRgbImage(image);
  if (image.height !== 3) {
    throw new RangeError(
      `transposeChannelsFirst(): needs an image 3 pixels tall, got ${image.height}`,
    );
  }
  const { width, data } = image;
  const out = new Uint8Array(width * 9);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < 3; x++) {
      for (let c = 0; c < 3; c++) out[(y * 3 + x) * 3 + c] = data[(c * width + y) * 3 + x];
    }
  }
  return { width: 3, height: width, data: out };
}
