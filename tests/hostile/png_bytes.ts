/**
 * Hand-made PNG files for the hostile corpus: valid ones of any size, and ones whose header,
 * checksums or data lie. Written chunk by chunk so each lie is exact.
 * @module
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/crc32.ts";

/**
 * One PNG chunk: length, type, data, CRC.
 * @param type four-letter chunk type
 * @param data chunk payload
 * @param badCrc write a wrong CRC
 * @returns the chunk's bytes
 */
export function chunk(type: string, data: Uint8Array, badCrc = false): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  const crc = crc32(out.subarray(4, 8 + data.length));
  view.setUint32(8 + data.length, badCrc ? crc ^ 1 : crc);
  return out;
}

/** PNG file signature. */
export const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

/**
 * IHDR for an 8-bit image.
 * @param width declared width
 * @param height declared height
 * @param colorType 2 = RGB, 6 = RGBA, 0 = grey
 * @returns the IHDR payload
 */
export function ihdr(width: number, height: number, colorType = 2): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  d[8] = 8;
  d[9] = colorType;
  return d;
}

/**
 * Concatenates byte arrays.
 * @param parts the pieces
 * @returns one array
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

/**
 * A valid RGB PNG with a deterministic pattern.
 * @param width pixels
 * @param height pixels
 * @returns the file
 */
export function rgbPng(width: number, height: number): Uint8Array {
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + 3 * width);
    for (let x = 0; x < 3 * width; x++) raw[row + 1 + x] = (x * 7 + y * 13) & 0xff;
  }
  return concat(
    SIGNATURE,
    chunk("IHDR", ihdr(width, height)),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  );
}
