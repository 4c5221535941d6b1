/**
 * Finds a PNG's EXIF orientation where Pillow 9.4 looks for it: an eXIf chunk (anywhere in the
 * file, the last one wins), else a "Raw profile type exif" text chunk (hex), else the
 * `tiff:Orientation` of an "XML:com.adobe.xmp" text chunk.
 * @module
 */

import { readExifOrientation, readXmpOrientation } from "./exif_orientation.ts";

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

async function inflate(data: Uint8Array): Promise<Uint8Array | undefined> {
  if (typeof DecompressionStream === "undefined") return undefined;
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("deflate"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Decodes tEXt / zTXt / iTXt into [keyword, text]; undefined when unreadable. */
async function readText(
  type: string,
  body: Uint8Array,
): Promise<[string, string] | undefined> {
  const nul = body.indexOf(0);
  if (nul < 0) return undefined;
  const key = latin1.decode(body.subarray(0, nul));
  if (key !== "Raw profile type exif" && key !== "XML:com.adobe.xmp") return undefined;
  if (type === "tEXt") return [key, latin1.decode(body.subarray(nul + 1))];
  if (type === "zTXt") {
    const raw = await inflate(body.subarray(nul + 2));
    return raw ? [key, latin1.decode(raw)] : undefined;
  }
  // iTXt: flag, method, language\0, translated keyword\0, text
  const compressed = body[nul + 1] === 1;
  let p = body.indexOf(0, nul + 3);
  if (p < 0) return undefined;
  p = body.indexOf(0, p + 1);
  if (p < 0) return undefined;
  const text = body.subarray(p + 1);
  const raw = compressed ? await inflate(text) : text;
  return raw ? [key, utf8.decode(raw)] : undefined;
}

function hexToBytes(hex: string): Uint8Array | undefined {
  const clean = hex.replace(/\s+/g, "");
  if (clean.length % 2 || /[^0-9a-fA-F]/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}

/**
 * Reads the orientation Pillow would apply to a PNG.
 * @param bytes the PNG file
 * @returns the orientation value, or undefined when the file carries none
 */
export async function readPngOrientation(bytes: Uint8Array): Promise<number | undefined> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let exif: Uint8Array | undefined;
  let rawProfile: string | undefined;
  let xmp: string | undefined;
  for (let pos = 8; pos + 8 <= bytes.length;) {
    const len = view.getUint32(pos);
    const type = latin1.decode(bytes.subarray(pos + 4, pos + 8));
    const end = pos + 8 + len;
    if (end > bytes.length) break;
    const body = bytes.subarray(pos + 8, end);
    if (type === "eXIf") exif = body;
    else if (type === "tEXt" || type === "zTXt" || type === "iTXt") {
      const text = await readText(type, body);
      if (text?.[0] === "Raw profile type exif") rawProfile = text[1];
      else if (text?.[0] === "XML:com.adobe.xmp") xmp = text[1];
    }
    if (type === "IEND") break;
    pos = end + 4;
  }
  if (!exif && rawProfile !== undefined) {
    exif = hexToBytes(rawProfile.split("\n").slice(3).join(""));
  }
  const fromExif = exif ? readExifOrientation(exif) : undefined;
  if (fromExif !== undefined) return fromExif;
  return xmp !== undefined ? readXmpOrientation(xmp) : undefined;
}
