/**
 * Why a PNG failed to decode, in words: the PNG codec (Rust `png` crate compiled to wasm)
 * reports failures as "`unwrap_throw` failed", which tells the user nothing. The chunk framing is
 * checked before decoding, and after a failure the whole structure, step by step as a reader
 * walks it: chunk framing (a chunk running
 * past the end of the file: truncated), each chunk's CRC-32, IHDR first, IDAT present, IEND
 * reached, then the zlib stream of the IDAT chunks (corrupt, or ending before the scanlines the
 * header promises). The first problem found is the answer.
 * @module
 */
import { crc32 } from "../crc32.ts";
import type { PngHeader } from "./image_header.ts";

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

function chunkType(bytes: Uint8Array, at: number): string {
  const t = String.fromCharCode(...bytes.subarray(at, at + 4));
  return /^[A-Za-z]{4}$/.test(t) ? t : JSON.stringify(t);
}

/** Bytes of unfiltered scanlines a non-interlaced image needs (filter byte + row bytes). */
function scanlineBytes(h: PngHeader): number {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[h.colorType as 0 | 2 | 3 | 4 | 6] ?? 1;
  return h.height * (1 + Math.ceil((h.width * channels * h.bitDepth) / 8));
}

/**
 * Walks the chunks and returns the first structural problem, or null.
 * @param bytes the PNG file
 * @returns the problem in words, and the concatenated IDAT data when the framing is sound
 */
function checkChunks(bytes: Uint8Array): { problem: string | null; idat: Uint8Array[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let at = 8;
  let first = true;
  for (;;) {
    if (at + 12 > bytes.length) {
      const what = at === bytes.length ? "ends" : `ends inside a chunk header at byte ${at}`;
      return { problem: `the file is truncated: it ${what} before the IEND chunk`, idat };
    }
    const length = view.getUint32(at);
    const type = chunkType(bytes, at + 4);
    if (length > 0x7fffffff) {
      return { problem: `chunk ${type} at byte ${at} declares an invalid length ${length}`, idat };
    }
    const end = at + 12 + length;
    if (end > bytes.length) {
      return {
        problem:
          `the file is truncated: chunk ${type} at byte ${at} declares ${length} data bytes, ${
            Math.max(0, bytes.length - at - 8)
          } remain`,
        idat,
      };
    }
    const stored = view.getUint32(at + 8 + length);
    const computed = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (stored !== computed) {
      return {
        problem: `chunk ${type} at byte ${at} has a bad CRC (stored ${hex(stored)}, computed ${
          hex(computed)
        }): the file is corrupt`,
        idat,
      };
    }
    if (first && type !== "IHDR") {
      return { problem: `the first chunk is ${type}, not IHDR`, idat };
    }
    first = false;
    if (type === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === "IEND") {
      return { problem: idat.length === 0 ? "it has no IDAT (image data) chunk" : null, idat };
    }
    at = end;
  }
}

/**
 * Inflates the zlib stream, counting bytes and stopping at `limit`; returns a problem or null.
 * @param idat the IDAT payloads
 * @param expected bytes of scanlines the header promises (null: unknown)
 * @param limit bytes after which inflating stops (a zlib bomb costs nothing more)
 */
async function checkZlib(
  idat: Uint8Array[],
  expected: number | null,
  limit: number,
): Promise<string | null> {
  const stream = new Blob(idat as BlobPart[]).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  const reader = stream.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total >= limit) {
        await reader.cancel();
        return null;
      }
    }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `its compressed image data (IDAT) is corrupt after ${total} decompressed bytes (zlib: ${why})`;
  }
  if (expected !== null && total < expected) {
    return `its image data is truncated: the IDAT stream holds ${total} of the ${expected} bytes of scanlines the header promises`;
  }
  return null;
}

/**
 * Checks a PNG's chunk framing and CRCs (cheap: run before decoding, so a truncated file is
 * refused before the codec allocates its pixels).
 * @param bytes the PNG file
 * @returns the first problem found in words, or null
 */
export function checkPngChunks(bytes: Uint8Array): string | null {
  return checkChunks(bytes).problem;
}

/**
 * Explains why a PNG could not be decoded.
 * @param bytes the PNG file (its IHDR already read)
 * @param header the IHDR facts
 * @returns the first problem found in words, or null when the structure and zlib stream are
 *   sound (then the scanline filters or the codec itself are at fault)
 */
export async function diagnosePng(bytes: Uint8Array, header: PngHeader): Promise<string | null> {
  const { problem, idat } = checkChunks(bytes);
  if (problem !== null) return problem;
  // interlaced: no exact size to compare, but inflating stops at twice the plain size anyway
  if (header.interlaced) return await checkZlib(idat, null, 2 * scanlineBytes(header) + 1024);
  return await checkZlib(idat, scanlineBytes(header), scanlineBytes(header));
}
