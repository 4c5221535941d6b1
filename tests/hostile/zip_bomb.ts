/**
 * A pytorch_model.bin zip bomb for the hostile corpus: the checkpoint's own entries, with
 * data.pkl replaced by a deflate stream that declares the original small size but inflates to
 * about a gigabyte of zeros (the shape of the case found in the wild: 1.86 MB declaring 12,943
 * bytes). The stream is made by feeding zlib one zero megabyte many times, so the test process
 * never holds the inflated bytes itself.
 * @module
 */
import { createDeflateRaw } from "node:zlib";
import { openZip } from "../../src/weights/zip.ts";
import { concat } from "./png_bytes.ts";

async function zeroBomb(megabytes: number): Promise<Uint8Array> {
  const z = createDeflateRaw({ level: 9 });
  const parts: Uint8Array[] = [];
  z.on("data", (c: Uint8Array) => parts.push(new Uint8Array(c)));
  const done = new Promise<void>((resolve, reject) => {
    z.on("end", () => resolve());
    z.on("error", reject);
  });
  const mb = new Uint8Array(1 << 20);
  for (let i = 0; i < megabytes; i++) {
    if (!z.write(mb)) await new Promise((r) => z.once("drain", r));
  }
  z.end();
  await done;
  return concat(...parts);
}

function u16(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff]);
}
function u32(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

interface Entry {
  name: string;
  method: number;
  crc: number;
  size: number;
  data: Uint8Array;
}

function writeZip(entries: Entry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const fixed = [u16(20), u16(0), u16(e.method), u16(0), u16(0), u32(e.crc)];
    const sizes = [u32(e.data.length), u32(e.size), u16(name.length), u16(0)];
    const local = concat(u32(0x04034b50), ...fixed, ...sizes, name, e.data);
    centrals.push(
      concat(
        u32(0x02014b50),
        u16(20),
        ...fixed,
        ...sizes,
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
        name,
      ),
    );
    locals.push(local);
    offset += local.length;
  }
  const central = concat(...centrals);
  const eocd = concat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(central.length),
    u32(offset),
    u16(0),
  );
  return concat(...locals, central, eocd);
}

/**
 * The bomb: a checkpoint archive whose pickle entry inflates far past its declared size.
 * @param checkpoint bytes of a real pytorch_model.bin
 * @param megabytes how much the pickle entry inflates to
 * @returns the archive
 */
export async function pytorchZipBomb(
  checkpoint: Uint8Array,
  megabytes = 1024,
): Promise<Uint8Array> {
  const zip = openZip(checkpoint, "pytorch_model.bin");
  const entries: Entry[] = [];
  for (const e of zip.entries.values()) {
    if (e.name.endsWith("/data.pkl")) {
      entries.push({
        name: e.name,
        method: 8,
        crc: e.crc32,
        size: e.size,
        data: await zeroBomb(megabytes),
      });
    } else {
      entries.push({
        name: e.name,
        method: 0,
        crc: e.crc32,
        size: e.size,
        data: await zip.read(e.name),
      });
    }
  }
  return writeZip(entries);
}
