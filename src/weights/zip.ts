/**
 * A read-only ZIP reader for checkpoint archives (torch.save writes stored, 64-byte-aligned
 * entries with miniz). Stored entries come back as views without copying; deflated ones are
 * inflated with the standard `DecompressionStream("deflate-raw")`, bounded by their declared
 * size (inflation stops as soon as it would pass it, and a declaration beyond deflate's
 * 1032:1 ratio is refused before inflating). ZIP64 archives (checkpoints over 4 GB) are read.
 * Sizes and CRC-32 are checked.
 * @module
 */
import { crc32 } from "../crc32.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";

/** One file of the archive, as its central directory describes it. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  /** CRC-32 of the uncompressed bytes, as recorded. */
  crc32: number;
  /** Bytes as stored in the archive. */
  compressedSize: number;
  /** Bytes once inflated. */
  size: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

/** An opened archive. */
export interface ZipArchive {
  /** Entries by name, in central-directory order. */
  entries: Map<string, ZipEntry>;
  /**
   * The entry's bytes (a view into the archive for stored entries), size- and CRC-checked.
   * @param name path inside the archive
   * @returns the uncompressed bytes
   */
  read(name: string): Promise<Uint8Array>;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Whether bytes start like a ZIP archive (a local file header, or an empty archive).
 * @param bytes file start
 * @returns true for "PK\x03\x04" or "PK\x05\x06"
 */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 4) return false;
  const sig = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return sig === LOCAL || sig === EOCD;
}

/**
 * Opens a ZIP archive held in memory.
 * @param bytes the whole archive
 * @param source the file's name for messages
 * @returns the entries and a reader
 * @throws ModelLoadError when the archive is truncated or inconsistent
 */
export function openZip(bytes: Uint8Array, source: string): ZipArchive {
  const fail = (what: string): ModelLoadError =>
    new ModelLoadError(`Cannot read ${source} as a zip archive: ${what}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  const u64 = (at: number): number => {
    const v = dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`64-bit field ${v} at ${at} is too large`);
    return Number(v);
  };
  // End of central directory: the last signature within 22 + 65535 (comment) bytes of the end.
  let eocd = -1;
  for (let at = len - 22; at >= Math.max(0, len - 22 - 0xffff); at--) {
    if (dv.getUint32(at, true) === EOCD && at + 22 + dv.getUint16(at + 20, true) <= len) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw fail(`no end-of-central-directory record (file truncated? ${len} bytes)`);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const z = u64(eocd - 12);
    if (z + 56 > len || dv.getUint32(z, true) !== ZIP64_EOCD) throw fail("bad ZIP64 record");
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
  }
  if (cdOffset + cdSize > len) {
    throw fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) lies past the end (${len})`);
  }
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  const utf8 = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > len || dv.getUint32(at, true) !== CENTRAL) {
      throw fail(`central directory entry ${i} of ${count} is missing or corrupt`);
    }
    const flags = dv.getUint16(at + 8, true);
    const method = dv.getUint16(at + 10, true);
    const crc32 = dv.getUint32(at + 16, true);
    let compressedSize = dv.getUint32(at + 20, true);
    let size = dv.getUint32(at + 24, true);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    let localHeaderOffset = dv.getUint32(at + 42, true);
    const name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // ZIP64 extra field (id 1): the 64-bit values of whichever fields are 0xFFFFFFFF, in order.
    let x = at + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const n = dv.getUint16(x + 2, true);
      if (id === 1) {
        let p = x + 4;
        if (size === 0xffffffff) (size = u64(p), p += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(p), p += 8);
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(p);
      }
      x += 4 + n;
    }
    if (flags & 1) throw new UnsupportedModelError(`Cannot read ${source}: ${name} is encrypted`);
    entries.set(name, { name, method, crc32, compressedSize, size, localHeaderOffset });
    at = xEnd + commentLen;
  }
  const read = async (name: string): Promise<Uint8Array> => {
    const e = entries.get(name);
    if (!e) throw fail(`no entry ${name}`);
    const h = e.localHeaderOffset;
    if (h + 30 > len || dv.getUint32(h, true) !== LOCAL) throw fail(`bad local header for ${name}`);
    const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
    if (start + e.compressedSize > len) {
      throw fail(`${name} ends at ${start + e.compressedSize}, past the end (${len}; truncated?)`);
    }
    const raw = bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else if (e.method === 8) out = await inflateRaw(raw, e.size, `${name} in ${source}`);
    else {
      throw new UnsupportedModelError(
        `Cannot read ${name} in ${source}: compression method ${e.method} (only stored and deflate)`,
      );
    }
    if (out.byteLength !== e.size) {
      throw fail(`${name} is ${out.byteLength} bytes, its directory entry says ${e.size}`);
    }
    // torch.save with crc32 computation switched off records 0; torch.load does not check.
    if (e.crc32 !== 0 || e.size === 0) {
      const crc = crc32(out);
      if (crc !== e.crc32) {
        throw fail(
          `${name} fails its CRC-32 check (recorded ${hex(e.crc32)}, computed ${
            hex(crc)
          }): corrupt`,
        );
      }
    }
    return out;
  };
  return { entries, read };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** Deflate cannot expand by more than about 1032:1 (258-byte matches coded in 2 bits). */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes handed to the inflater at a time: bounds one output chunk to ~16 MiB. */
const INFLATE_SLICE = 16 * 1024;

/**
 * Inflates a raw deflate stream into a buffer of the declared size, stopping as soon as the
 * output would exceed it (a zip bomb never gets further than its own declaration).
 * @param raw the compressed bytes
 * @param size the declared uncompressed size
 * @param what entry and archive, for messages
 * @returns exactly `size` bytes
 */
async function inflateRaw(raw: Uint8Array, size: number, what: string): Promise<Uint8Array> {
  const fail = (msg: string, cause?: unknown): ModelLoadError =>
    new ModelLoadError(`Cannot inflate ${what}: ${msg}`, { cause });
  if (size > raw.byteLength * MAX_DEFLATE_RATIO + 1024) {
    throw fail(
      `its directory declares ${size} bytes from ${raw.byteLength} compressed, more than ` +
        `deflate can produce`,
    );
  }
  let at = 0;
  const input = new ReadableStream<BufferSource>({
    pull(c) {
      if (at >= raw.byteLength) return c.close();
      const end = Math.min(at + INFLATE_SLICE, raw.byteLength);
      c.enqueue(raw.slice(at, end));
      at = end;
    },
  }, { highWaterMark: 0 });
  const out = new Uint8Array(size);
  let n = 0;
  const reader = input.pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      if (n + r.value.byteLength > size) {
        throw fail(`inflates to more than the ${size} bytes its directory declares`);
      }
      out.set(r.value, n);
      n += r.value.byteLength;
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof ModelLoadError) throw e;
    throw fail((e as Error).message, e);
  }
  if (n !== size) throw fail(`inflates to ${n} bytes, its directory declares ${size}`);
  return out;
}
