/**
 * Image bytes -> RGB, as transformers v4.27's `load_image` does with Pillow 9.4:
 * `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`. Alpha is dropped (not composited),
 * palettes are looked up, 16-bit RGB(A) keeps the high byte, 16-bit gray (PIL mode "I") is
 * clipped to 255, and EXIF orientation is applied. Images over the pixel budget are refused
 * from their header, before any decoding (as PIL's DecompressionBombError, but at PIL's warning
 * threshold by default). Codec failures are explained: truncated, bad CRC, corrupt zlib data.
 * @module
 */

import { ImageDecodeError } from "../errors.ts";
import { decodeJpegRgba, decodePngRgba, type RgbaPixels } from "./codecs.ts";
import { applyOrientation, readExifOrientation } from "./exif_orientation.ts";
import { type JpegHeader, type PngHeader, readImageHeader } from "./image_header.ts";
import { readPngOrientation } from "./png_orientation.ts";
import { checkPngChunks, diagnosePng } from "./png_diagnosis.ts";
import { decodeCmykJpeg } from "./cmyk_jpeg.ts";
import type { RgbImage } from "./rgb_image.ts";

/** PIL's `Image.MAX_IMAGE_PIXELS`; PIL warns above it and refuses above twice as many pixels. */
export const PIL_MAX_IMAGE_PIXELS = 89478485;

/**
 * Default pixel budget: PIL's `MAX_IMAGE_PIXELS`, where PIL starts warning of a decompression
 * bomb. Decoding costs about {@link DECODE_BYTES_PER_PIXEL} bytes of memory per pixel, so this
 * bounds one decode near 1 GB; raise `maxPixels` (up to PIL's refusal limit, twice this) to
 * decode larger images.
 */
export const DEFAULT_MAX_PIXELS = PIL_MAX_IMAGE_PIXELS;

/** Peak bytes per pixel of a decode: RGBA in the codec's memory, its copy out, and RGB. */
export const DECODE_BYTES_PER_PIXEL = 11;

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /**
   * Refuse images with more pixels than this (code "IMAGE_TOO_LARGE"), read from the header
   * before any decoding; default {@link DEFAULT_MAX_PIXELS}.
   */
  maxPixels?: number;
  /** Apply EXIF orientation as `exif_transpose` does; default true. */
  applyExifOrientation?: boolean;
}

function rgbaToRgb(pixels: RgbaPixels, clip16: boolean): RgbImage {
  const { width, height, data } = pixels;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, s = 0, d = 0; i < n; i++, s += 4) {
    if (clip16) {
      // PIL "I" -> "RGB" clips each value to 0..255.
      out[d++] = Math.min(data[s], 255);
      out[d++] = Math.min(data[s + 1], 255);
      out[d++] = Math.min(data[s + 2], 255);
    } else {
      out[d++] = data[s];
      out[d++] = data[s + 1];
      out[d++] = data[s + 2];
    }
  }
  return { width, height, data: out };
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === "object" && "message" in e) return String(e.message);
  return String(e);
}

async function decodeJpeg(bytes: Uint8Array, header: JpegHeader): Promise<RgbImage> {
  if (header.components !== 1 && header.components !== 3 && header.components !== 4) {
    throw new ImageDecodeError(
      `Cannot decode JPEG: its frame has ${header.components} components; expected 1 (gray), 3 (colour) or 4 (CMYK/YCCK)`,
    );
  }
  if (!header.hasEoi) {
    throw new ImageDecodeError(
      `Cannot decode JPEG: image file is truncated (${bytes.length} bytes, no end-of-image marker)`,
    );
  }
  // MozJPEG refuses to convert CMYK/YCCK ("Unsupported color conversion request"): our own
  // sequential decoder gives libjpeg's CMYK planes, converted as Pillow does.
  if (header.components === 4) {
    try {
      return decodeCmykJpeg(bytes);
    } catch (e) {
      if (e instanceof ImageDecodeError) throw e;
      throw new ImageDecodeError(
        `Cannot decode JPEG (CMYK, ${bytes.length} bytes): the data is corrupt (${
          describeError(e)
        })`,
        { cause: e },
      );
    }
  }
  let result: Awaited<ReturnType<typeof decodeJpegRgba>>;
  try {
    result = await decodeJpegRgba(bytes);
  } catch (e) {
    throw new ImageDecodeError(`Cannot decode JPEG (${bytes.length} bytes): ${describeError(e)}`, {
      cause: e,
    });
  }
  const premature = result.messages.find((m) => /premature end/i.test(m));
  if (premature) {
    throw new ImageDecodeError(
      `Cannot decode JPEG: image file is truncated (decoder: ${premature.trim()})`,
    );
  }
  return rgbaToRgb(result.pixels, false);
}

async function decodePng(bytes: Uint8Array, header: PngHeader): Promise<RgbImage> {
  const framing = checkPngChunks(bytes);
  if (framing !== null) {
    throw new ImageDecodeError(
      `Cannot decode PNG (${header.width}x${header.height}, ${bytes.length} bytes): ${framing}`,
    );
  }
  const gray16 = header.colorType === 0 && header.bitDepth === 16;
  let pixels: RgbaPixels;
  try {
    pixels = await decodePngRgba(bytes, gray16 ? 16 : 8);
  } catch (e) {
    const problem = await diagnosePng(bytes, header);
    const codec = describeError(e);
    // The Rust codec's only message is "`unwrap_throw` failed": say what was found instead.
    const detail = problem ??
      `the codec rejected its pixel data${/unwrap_throw/.test(codec) ? "" : ` (${codec})`}`;
    throw new ImageDecodeError(
      `Cannot decode PNG (${header.width}x${header.height}, ${bytes.length} bytes): ${detail}`,
      { cause: e },
    );
  }
  return rgbaToRgb(pixels, gray16);
}

/**
 * Decodes JPEG or PNG bytes to RGB exactly as transformers' `load_image` does with Pillow 9.4.
 * @param bytes the encoded image
 * @param options pixel limit, whether to apply EXIF orientation
 * @returns the RGB image, oriented; throws ImageDecodeError (code "IMAGE_TOO_LARGE" for the
 *   pixel limit, "IMAGE_DECODE" otherwise) for anything that is not a decodable JPEG or PNG
 * @example
 * ```ts ignore
 * const rgb = await decodeImage(await Deno.readFile("photo.jpg"));
 * console.log(rgb.width, rgb.height);
 * ```
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: DecodeImageOptions = {},
): Promise<RgbImage> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("decodeImage(): bytes must be a Uint8Array");
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) {
    throw new RangeError(`decodeImage(): maxPixels must be positive, got ${maxPixels}`);
  }
  const header = readImageHeader(bytes);
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new ImageDecodeError(
      `Refusing to decode ${header.format.toUpperCase()}: ${header.width}x${header.height} = ${pixels} pixels exceeds the limit of ${maxPixels} (decoding would take about ${
        Math.round(pixels * DECODE_BYTES_PER_PIXEL / 1e6)
      } MB; possible decompression bomb); set maxPixels higher to decode it`,
      { code: "IMAGE_TOO_LARGE" },
    );
  }
  let image: RgbImage;
  let orientation: number | undefined;
  if (header.format === "jpeg") {
    image = await decodeJpeg(bytes, header);
    orientation = header.exif ? readExifOrientation(header.exif) : undefined;
  } else {
    image = await decodePng(bytes, header);
    orientation = await readPngOrientation(bytes);
  }
  if (image.width !== header.width || image.height !== header.height) {
    throw new ImageDecodeError(
      `Cannot decode ${header.format.toUpperCase()}: header says ${header.width}x${header.height}, decoder produced ${image.width}x${image.height}`,
    );
  }
  return options.applyExifOrientation === false ? image : applyOrientation(image, orientation);
}
