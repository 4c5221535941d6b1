/**
 * CMYK and YCCK JPEGs (print scans) to RGB as Pillow 9.4 does for transformers' `load_image`:
 * libjpeg decodes to CMYK (YCCK converted by `ycck_cmyk_convert`, jdcolor.c), Pillow reads the
 * samples as Adobe-inverted ("CMYK;I": 255 - v) whatever the file says, and `convert("RGB")`
 * applies `cmyk2rgb` (Convert.c): `R = nk - MULDIV255(C, nk)` with `nk = 255 - K` and
 * `MULDIV255(a, b) = ((a*b + 128) >> 8) + (a*b + 128)) >> 8`.
 * @module
 */
import { ImageDecodeError } from "../errors.ts";
import { decodeJpegPlanes } from "./jpeg_baseline.ts";
import type { RgbImage } from "./rgb_image.ts";

// jdcolor.c build_ycc_rgb_table (SCALEBITS 16): the tables ycck_cmyk_convert reads.
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.floor(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Float64Array(256);
const CB_G = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = Math.floor((fix(1.402) * x + ONE_HALF) / 2 ** SCALEBITS);
  CB_B[i] = Math.floor((fix(1.772) * x + ONE_HALF) / 2 ** SCALEBITS);
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}
const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

function muldiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * Decodes a 4-component JPEG to the RGB bytes Pillow's `Image.open(f).convert("RGB")` gives.
 * @param bytes the JPEG file (its SOF says 4 components)
 * @returns the RGB image (orientation not applied)
 */
export function decodeCmykJpeg(bytes: Uint8Array): RgbImage {
  const { width, height, planes, adobeTransform } = decodeJpegPlanes(bytes);
  if (planes.length !== 4) {
    throw new ImageDecodeError(`Cannot decode JPEG: expected 4 components, found ${planes.length}`);
  }
  const [p0, p1, p2, p3] = planes;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const ycck = adobeTransform === 2;
  for (let i = 0, d = 0; i < n; i++) {
    let c = p0[i];
    let m = p1[i];
    let y = p2[i];
    if (ycck) {
      const luma = p0[i];
      const cb = p1[i];
      const cr = p2[i];
      c = clamp(255 - (luma + CR_R[cr]));
      m = clamp(255 - (luma + Math.floor((CB_G[cb] + CR_G[cr]) / 2 ** SCALEBITS)));
      y = clamp(255 - (luma + CB_B[cb]));
    }
    // "CMYK;I": Pillow inverts every sample, then cmyk2rgb
    const nk = p3[i];
    out[d++] = clamp(nk - muldiv255(255 - c, nk));
    out[d++] = clamp(nk - muldiv255(255 - m, nk));
    out[d++] = clamp(nk - muldiv255(255 - y, nk));
  }
  return { width, height, data: out };
}
