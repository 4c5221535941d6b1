/**
 * A sequential (baseline / extended, Huffman, 8-bit) JPEG decoder that returns the component
 * planes as libjpeg-turbo delivers them before any colour conversion: for the 4-component
 * (CMYK / YCCK) JPEGs that the MozJPEG codec refuses to convert. It follows libjpeg step for
 * step where the bytes depend on it: the accurate integer IDCT (`jpeg_idct.ts`), fancy
 * upsampling of h2v1 / h2v2 components (`jpeg_upsample.ts`), restart markers. Progressive and
 * arithmetic-coded files and other sampling layouts are refused with a message saying so.
 * @module
 */
import { BitReader, buildHuffman, extend, fail, type Huffman, ZIGZAG } from "./jpeg_huffman.ts";
import { idctIslow } from "./jpeg_idct.ts";
import { fancyUpsample, type Plane } from "./jpeg_upsample.ts";

/** What the decoder returns: full-size planes and the Adobe APP14 transform flag. */
export interface JpegPlanes {
  width: number;
  height: number;
  /** One width x height plane per component, in frame order. */
  planes: Uint8Array[];
  /** Adobe APP14 transform (0 none/CMYK, 1 YCbCr, 2 YCCK), or null without the marker. */
  adobeTransform: number | null;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  td: number;
  ta: number;
  pred: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  data: Uint8Array;
}

/**
 * Decodes a sequential Huffman JPEG to its component planes (no colour conversion).
 * @param bytes the JPEG file
 * @returns the planes at full size and the Adobe transform flag
 */
export function decodeJpegPlanes(bytes: Uint8Array): JpegPlanes {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const quant: (Uint16Array | undefined)[] = [];
  const dc: (Huffman | undefined)[] = [];
  const ac: (Huffman | undefined)[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let maxH = 1;
  let maxV = 1;
  let restartInterval = 0;
  let adobeTransform: number | null = null;
  let scanned = false;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) fail(`expected a marker at byte ${pos}`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    const len = view.getUint16(pos + 2);
    const seg = pos + 4;
    const end = pos + 2 + len;
    if (end > bytes.length) fail("the file is truncated inside a marker segment");
    if (marker === 0xdb) {
      for (let p = seg; p < end;) {
        const pq = bytes[p] >> 4;
        const t = new Uint16Array(64);
        for (let i = 0; i < 64; i++) {
          t[ZIGZAG[i]] = pq ? view.getUint16(p + 1 + 2 * i) : bytes[p + 1 + i];
        }
        quant[bytes[p] & 15] = t;
        p += 1 + 64 * (pq ? 2 : 1);
      }
    } else if (marker === 0xc4) {
      for (let p = seg; p < end;) {
        const tc = bytes[p] >> 4;
        const counts = bytes.subarray(p + 1, p + 17);
        const n = counts.reduce((a, b) => a + b, 0);
        const table = buildHuffman(counts, bytes.subarray(p + 17, p + 17 + n));
        (tc === 0 ? dc : ac)[bytes[p] & 15] = table;
        p += 17 + n;
      }
    } else if (marker === 0xdd) {
      restartInterval = view.getUint16(seg);
    } else if (
      marker === 0xee && len >= 14 &&
      String.fromCharCode(...bytes.subarray(seg, seg + 5)) === "Adobe"
    ) {
      adobeTransform = bytes[seg + 11];
    } else if (marker === 0xc0 || marker === 0xc1) {
      // one frame only: its size is the one the pixel budget was checked against
      if (comps.length > 0) fail("it has more than one frame header");
      if (bytes[seg] !== 8) fail(`it has ${bytes[seg]}-bit samples; only 8-bit is supported`);
      height = view.getUint16(seg + 1);
      width = view.getUint16(seg + 3);
      const n = bytes[seg + 5];
      comps = [];
      for (let i = 0; i < n; i++) {
        const b = seg + 6 + 3 * i;
        comps.push({
          id: bytes[b],
          h: bytes[b + 1] >> 4,
          v: bytes[b + 1] & 15,
          tq: bytes[b + 2],
          td: 0,
          ta: 0,
          pred: 0,
          blocksPerLine: 0,
          blocksPerColumn: 0,
          data: new Uint8Array(0),
        });
      }
      maxH = Math.max(...comps.map((c) => c.h));
      maxV = Math.max(...comps.map((c) => c.v));
    } else if (
      marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
    ) {
      fail(
        `it is ${
          marker === 0xc2 ? "progressive" : `coded with SOF 0x${marker.toString(16)}`
        }, which vedge's CMYK decoder does not support`,
      );
    } else if (marker === 0xda) {
      if (scanned) fail("it has several scans, which vedge's CMYK decoder does not support");
      scanned = true;
      pos = decodeScan(
        bytes,
        seg,
        end,
        comps,
        { width, height, maxH, maxV, restartInterval },
        quant,
        dc,
        ac,
      );
      continue;
    }
    pos = end;
  }
  if (!scanned) fail("the file is truncated: it has no image data (no scan)");
  return {
    width,
    height,
    planes: comps.map((c) => fullPlane(c, width, height, maxH, maxV)),
    adobeTransform,
  };
}

interface Frame {
  width: number;
  height: number;
  maxH: number;
  maxV: number;
  restartInterval: number;
}

function decodeScan(
  bytes: Uint8Array,
  seg: number,
  end: number,
  comps: Component[],
  frame: Frame,
  quant: (Uint16Array | undefined)[],
  dc: (Huffman | undefined)[],
  ac: (Huffman | undefined)[],
): number {
  const ns = bytes[seg];
  if (ns !== comps.length) fail("its scan does not hold every component (non-interleaved)");
  for (let i = 0; i < ns; i++) {
    const c = comps.find((x) => x.id === bytes[seg + 1 + 2 * i]);
    if (!c) fail("its scan names an unknown component");
    c!.td = bytes[seg + 2 + 2 * i] >> 4;
    c!.ta = bytes[seg + 2 + 2 * i] & 15;
  }
  const { width, height, maxH, maxV } = frame;
  const mcusX = Math.ceil(width / (8 * maxH));
  const mcusY = Math.ceil(height / (8 * maxV));
  for (const c of comps) {
    c.blocksPerLine = mcusX * c.h;
    c.blocksPerColumn = mcusY * c.v;
    c.data = new Uint8Array(c.blocksPerLine * 8 * c.blocksPerColumn * 8);
    if (!quant[c.tq] || !dc[c.td] || !ac[c.ta]) fail("a table its scan needs is missing");
  }
  const reader = new BitReader(bytes, end);
  const coef = new Int32Array(64);
  const ws = new Float64Array(64);
  const total = mcusX * mcusY;
  for (let m = 0; m < total; m++) {
    if (frame.restartInterval && m > 0 && m % frame.restartInterval === 0) {
      reader.restart();
      for (const c of comps) c.pred = 0;
    }
    const mx = m % mcusX;
    const my = Math.floor(m / mcusX);
    for (const c of comps) {
      for (let by = 0; by < c.v; by++) {
        for (let bx = 0; bx < c.h; bx++) {
          coef.fill(0);
          const t = reader.decode(dc[c.td]!);
          c.pred += t === 0 ? 0 : extend(reader.receive(t), t);
          coef[0] = c.pred;
          for (let k = 1; k < 64;) {
            const rs = reader.decode(ac[c.ta]!);
            const s = rs & 15;
            const r = rs >> 4;
            if (s === 0) {
              if (r !== 15) break;
              k += 16;
              continue;
            }
            k += r;
            if (k > 63) fail("the image data is corrupt (coefficient index past 63)");
            coef[ZIGZAG[k]] = extend(reader.receive(s), s);
            k++;
          }
          const stride = c.blocksPerLine * 8;
          const row = (my * c.v + by) * 8;
          const col = (mx * c.h + bx) * 8;
          idctIslow(coef, quant[c.tq]!, c.data, row * stride + col, stride, ws);
        }
      }
    }
  }
  return reader.pos;
}

function fullPlane(
  c: Component,
  width: number,
  height: number,
  maxH: number,
  maxV: number,
): Uint8Array {
  const stride = c.blocksPerLine * 8;
  // libjpeg's downsampled size of the component
  const dw = Math.ceil((width * c.h) / maxH);
  const dh = Math.ceil((height * c.v) / maxV);
  let plane: Plane = { width: dw, height: dh, stride, data: c.data };
  const hx = maxH / c.h;
  const vx = maxV / c.v;
  if (hx === 2 && (vx === 1 || vx === 2)) plane = fancyUpsample(plane, vx === 2);
  else if (hx !== 1 || vx !== 1) {
    fail(`a component is subsampled ${hx}x${vx}, which vedge's CMYK decoder does not support`);
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    out.set(plane.data.subarray(y * plane.stride, y * plane.stride + width), y * width);
  }
  return out;
}
