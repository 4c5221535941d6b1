/**
 * EXIF orientation as transformers' `load_image` applies it (`PIL.ImageOps.exif_transpose`,
 * Pillow 9.4): the Orientation tag (0x0112) of IFD0 in the Exif TIFF block, else a
 * `tiff:Orientation` in PNG XMP; values 2 to 8 transpose the pixels, anything else leaves them.
 * @module
 */

import type { RgbImage } from "./rgb_image.ts";

/** TIFF field types PIL unpacks to a number: type -> byte size. */
const NUMERIC_TYPES: Record<number, number> = {
  1: 1, // BYTE
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
};

function readNumber(view: DataView, at: number, type: number, le: boolean): number {
  switch (type) {
    case 1:
      return view.getUint8(at);
    case 3:
      return view.getUint16(at, le);
    case 4:
      return view.getUint32(at, le);
    case 6:
      return view.getInt8(at);
    case 8:
      return view.getInt16(at, le);
    case 9:
      return view.getInt32(at, le);
    case 11:
      return view.getFloat32(at, le);
    case 12:
      return view.getFloat64(at, le);
    case 5:
      return view.getUint32(at, le) / view.getUint32(at + 4, le);
    default:
      return view.getInt32(at, le) / view.getInt32(at + 4, le);
  }
}

/**
 * Reads the Orientation tag from an Exif block (as found in JPEG APP1 or PNG eXIf).
 * @param exif the block, with or without the leading "Exif\0\0"
 * @returns the orientation value, or undefined when absent, not a single number, or unreadable
 *   (Pillow raises on an unreadable TIFF header; vedge ignores the metadata instead)
 */
export function readExifOrientation(exif: Uint8Array): number | undefined {
  let data = exif;
  if (
    data.length >= 6 && data[0] === 0x45 && data[1] === 0x78 && data[2] === 0x69 &&
    data[3] === 0x66 && data[4] === 0 && data[5] === 0
  ) {
    data = data.subarray(6);
  }
  if (data.length < 8) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let le: boolean;
  if (data[0] === 0x49 && data[1] === 0x49 && view.getUint16(2, true) === 42) le = true;
  else if (data[0] === 0x4d && data[1] === 0x4d && view.getUint16(2, false) === 42) le = false;
  else return undefined;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > data.length) return undefined;
  const count = view.getUint16(ifd, le);
  let orientation: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > data.length) break;
    if (view.getUint16(at, le) !== 0x0112) continue;
    const type = view.getUint16(at + 2, le);
    const n = view.getUint32(at + 4, le);
    const size = NUMERIC_TYPES[type];
    // Several values become a tuple in PIL, which matches no orientation.
    if (size === undefined || n !== 1) {
      orientation = undefined;
      continue;
    }
    const valueAt = size > 4 ? view.getUint32(at + 8, le) : at + 8;
    if (valueAt + size > data.length) continue;
    orientation = readNumber(view, valueAt, type, le);
  }
  return orientation;
}

/**
 * Reads `tiff:Orientation` from XMP text the way Pillow's `getexif` does (first match).
 * @param xmp the XMP packet text
 * @returns the single-digit orientation, or undefined
 */
export function readXmpOrientation(xmp: string): number | undefined {
  const m = /tiff:Orientation(="|>)([0-9])/.exec(xmp);
  return m ? Number(m[2]) : undefined;
}

/**
 * Transposes an image as `exif_transpose` does for an orientation value.
 * @param image the decoded image, as stored
 * @param orientation EXIF orientation; 2 to 8 transform, anything else returns the image as is
 * @returns the image as it should be displayed
 */
export function applyOrientation(image: RgbImage, orientation: number | undefined): RgbImage {
  if (orientation === undefined || !(orientation >= 2 && orientation <= 8)) return image;
  if (!Number.isInteger(orientation)) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w, oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  // For each output pixel (x, y), the source pixel (sx, sy).
  let o = 0;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2: // FLIP_LEFT_RIGHT
          sx = w - 1 - x, sy = y;
          break;
        case 3: // ROTATE_180
          sx = w - 1 - x, sy = h - 1 - y;
          break;
        case 4: // FLIP_TOP_BOTTOM
          sx = x, sy = h - 1 - y;
          break;
        case 5: // TRANSPOSE
          sx = y, sy = x;
          break;
        case 6: // ROTATE_270 (clockwise)
          sx = y, sy = h - 1 - x;
          break;
        case 7: // TRANSVERSE
          sx = w - 1 - y, sy = h - 1 - x;
          break;
        default: // 8: ROTATE_90 (counter-clockwise)
          sx = w - 1 - y, sy = x;
      }
      const s = (sy * w + sx) * 3;
      out[o++] = data[s];
      out[o++] = data[s + 1];
      out[o++] = data[s + 2];
    }
  }
  return { width: ow, height: oh, data: out };
}
