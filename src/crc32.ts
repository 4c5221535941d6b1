/**
 * CRC-32, the one checksum ZIP archives (checkpoints) and PNG chunks both use.
 * @module
 */

let crcTables: Uint32Array[] | undefined;

/**
 * CRC-32 (IEEE 802.3, as ZIP and PNG use), slicing by 8 bytes.
 * @param bytes data
 * @returns the checksum as an unsigned 32-bit number
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * console.assert(crc32(new TextEncoder().encode("IEND")) === 0xae426082);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTables) {
    crcTables = Array.from({ length: 8 }, () => new Uint32Array(256));
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTables[0][i] = c;
    }
    for (let i = 0; i < 256; i++) {
      for (let t = 1; t < 8; t++) {
        const p = crcTables[t - 1][i];
        crcTables[t][i] = crcTables[0][p & 0xff] ^ (p >>> 8);
      }
    }
  }
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables;
  let c = 0xffffffff;
  let i = 0;
  const n = bytes.byteLength;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
