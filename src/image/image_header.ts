/**
 * Reads what decoding needs to know before any pixel is decoded: the format (by magic bytes),
 * the dimensions (PNG IHDR, JPEG SOFn) for the decompression-bomb guard, and for JPEG the
 * component count, the first Exif APP1 payload and whether the data reaches an EOI marker.
 * @module
 */

import { ImageDecodeError } from "../errors.ts";

/** Formats vedge decodes. */
export type ImageFormat = "png" | "jpeg";

/** PNG facts from IHDR. */
export interface PngHeader {
  format: "png";
  width: number;
  height: number;
  /** 1, 2, 4, 8 or 16. */
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

/** JPEG facts from the markers before and around the first scan. */
export interface JpegHeader {
  format: "jpeg";
  width: number;
  height: number;
  /** Components in the frame: 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** The SOF marker number (0xC0 baseline, 0xC2 progressive, ...). */
  sofMarker: number;
  /** Payload of the first APP1 segment that starts with "Exif\0", as PIL keeps it. */
  exif?: Uint8Array;
  /** Whether an EOI marker follows the entropy-coded data. */
  hasEoi: boolean;
}

/** Either header. */
export type ImageHeader = PngHeader | JpegHeader;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Magic numbers of formats PIL reads but vedge does not, for a helpful message. */
const OTHER_FORMATS: [string, number[]][] = [
  ["GIF", [0x47, 0x49, 0x46, 0x38]],
  ["BMP", [0x42, 0x4d]],
  ["TIFF", [0x49, 0x49, 0x2a, 0x00]],
  ["TIFF", [0x4d, 0x4d, 0x00, 0x2a]],
  ["ICO", [0x00, 0x00, 0x01, 0x00]],
];

function startsWith(bytes: Uint8Array, sig: number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  return sig.every((b, i) => bytes[at + i] === b);
}

function describeStart(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0"));
  return bytes.length === 0 ? "no bytes at all" : `bytes starting ${head.join(" ")}`;
}

/**
 * Names the format of image bytes from their magic number.
 * @param bytes the encoded image
 * @returns "png" or "jpeg"; throws ImageDecodeError for anything else
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (
    startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)
  ) {
    throw new ImageDecodeError(
      "Cannot decode image: it is WebP, and vedge decodes only JPEG and PNG (convert it first)",
    );
  }
  for (const [name, sig] of OTHER_FORMATS) {
    if (startsWith(bytes, sig)) {
      throw new ImageDecodeError(
        `Cannot decode image: it looks like ${name}, and vedge decodes only JPEG and PNG (convert it first)`,
      );
    }
  }
  throw new ImageDecodeError(
    `Cannot decode image: ${bytes.length} bytes are neither PNG nor JPEG (${describeStart(bytes)})`,
  );
}

function readPngHeader(bytes: Uint8Array): PngHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || !startsWith(bytes, [0x49, 0x48, 0x44, 0x52], 12)) {
    throw new ImageDecodeError(
      `Cannot decode PNG: ${bytes.length} bytes hold no complete IHDR chunk (truncated or corrupt)`,
    );
  }
  const width = view.getUint32(16), height = view.getUint32(20);
  const bitDepth = bytes[24], colorType = bytes[25], interlace = bytes[28];
  const valid: Record<number, number[]> = {
    0: [1, 2, 4, 8, 16],
    2: [8, 16],
    3: [1, 2, 4, 8],
    4: [8, 16],
    6: [8, 16],
  };
  if (!valid[colorType]?.includes(bitDepth) || interlace > 1) {
    throw new ImageDecodeError(
      `Cannot decode PNG: IHDR has colour type ${colorType}, bit depth ${bitDepth}, interlace ${interlace}, which is not a valid combination`,
    );
  }
  return { format: "png", width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

const SOF_MARKERS = new Set([
  0xc0,
  0xc1,
  0xc2,
  0xc3,
  0xc5,
  0xc6,
  0xc7,
  0xc9,
  0xca,
  0xcb,
  0xcd,
  0xce,
  0xcf,
]);

function readJpegHeader(bytes: Uint8Array): JpegHeader {
  let pos = 2;
  let sof: { width: number; height: number; components: number; marker: number } | undefined;
  let exif: Uint8Array | undefined;
  const truncated = (): never => {
    throw new ImageDecodeError(
      `Cannot decode JPEG: the ${bytes.length} bytes end inside the header segments (truncated file)`,
    );
  };
  for (;;) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    while (pos < bytes.length && bytes[pos] === 0xff && bytes[pos + 1] === 0xff) pos++;
    if (pos + 4 > bytes.length) truncated();
    if (bytes[pos] !== 0xff) {
      throw new ImageDecodeError(
        `Cannot decode JPEG: expected a marker at byte ${pos}, found 0x${
          bytes[pos].toString(16)
        } (corrupt file)`,
      );
    }
    const marker = bytes[pos + 1];
    if (marker === 0xd9) truncated();
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    if (len < 2) truncated();
    const start = pos + 4, end = pos + 2 + len;
    if (end > bytes.length) truncated();
    if (SOF_MARKERS.has(marker) && !sof) {
      if (len < 8) truncated();
      sof = {
        height: (bytes[start + 1] << 8) | bytes[start + 2],
        width: (bytes[start + 3] << 8) | bytes[start + 4],
        components: bytes[start + 5],
        marker,
      };
    } else if (
      marker === 0xe1 && !exif && startsWith(bytes, [0x45, 0x78, 0x69, 0x66, 0x00], start)
    ) {
      exif = bytes.subarray(start, end);
    } else if (marker === 0xda) {
      if (!sof) {
        throw new ImageDecodeError("Cannot decode JPEG: a scan starts before any SOF frame header");
      }
      return {
        format: "jpeg",
        width: sof.width,
        height: sof.height,
        components: sof.components,
        sofMarker: sof.marker,
        exif,
        hasEoi: hasEoiAfter(bytes, end),
      };
    }
    pos = end;
  }
}

/** Inside entropy-coded data 0xFF is followed by 0x00 or RSTn, so FF D9 can only be EOI. */
function hasEoiAfter(bytes: Uint8Array, from: number): boolean {
  for (let i = bytes.length - 2; i >= from; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}

/**
 * Reads the header of PNG or JPEG bytes without decoding pixels.
 * @param bytes the encoded image
 * @returns the format, dimensions and the facts decoding needs; throws ImageDecodeError when
 *   the bytes are not a readable PNG or JPEG header
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffImageFormat(bytes);
  const header = format === "png" ? readPngHeader(bytes) : readJpegHeader(bytes);
  if (header.width < 1 || header.height < 1) {
    throw new ImageDecodeError(
      `Cannot decode ${format.toUpperCase()}: header says ${header.width}x${header.height} pixels`,
    );
  }
  return header;
}
