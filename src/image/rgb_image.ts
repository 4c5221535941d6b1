/**
 * The decoded image every later stage works on: 8-bit RGB, interleaved, row-major, no alpha.
 * @module
 */

/** An 8-bit RGB image: `data[(y * width + x) * 3 + c]` is channel `c` of pixel (x, y). */
export interface RgbImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** RGB bytes, `width * height * 3` of them. */
  data: Uint8Array;
}

/**
 * Checks that an RgbImage is well formed (positive integer sizes, matching buffer length).
 * @param image the image to check
 * @param what how to name it in the error message
 * @returns nothing; throws TypeError or RangeError when the image is malformed
 */
export function assertRgbImage(image: RgbImage, what = "image"): void {
  if (!image || !(image.data instanceof Uint8Array)) {
    throw new TypeError(`${what} must be an RgbImage with a Uint8Array data buffer`);
  }
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${what} has size ${width}x${height}; expected positive integers`);
  }
  if (image.data.length !== width * height * 3) {
    throw new RangeError(
      `${what} is ${width}x${height} RGB (${
        width * height * 3
      } bytes) but holds ${image.data.length} bytes`,
    );
  }
}
