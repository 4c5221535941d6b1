import assert from "node:assert/strict";
import { decodeImage } from "./decode.ts";
import { crc32 } from "../crc32.ts";
import { ImageDecodeError } from "../errors.ts";

const FIX = new URL("../../tests/fixtures/", import.meta.url);

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = view.getUint32(at);
    out.push({
      type: String.fromCharCode(...png.subarray(at + 4, at + 8)),
      data: png.slice(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return out;
}

function assemble(list: Chunk[]): Uint8Array {
  const parts: number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  for (const c of list) {
    const body = new Uint8Array([...new TextEncoder().encode(c.type), ...c.data]);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, c.data.length);
    const crc = new Uint8Array(4);
    new DataView(crc.buffer).setUint32(0, crc32(body));
    parts.push(...head, ...body, ...crc);
  }
  return new Uint8Array(parts);
}

async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream) {
  return new Uint8Array(
    await new Response(new Blob([data as BlobPart]).stream().pipeThrough(stream)).arrayBuffer(),
  );
}

async function message(bytes: Uint8Array): Promise<string> {
  try {
    await decodeImage(bytes);
  } catch (e) {
    assert.ok(e instanceof ImageDecodeError, `${e}`);
    assert.equal(e.code, "IMAGE_DECODE");
    assert.doesNotMatch(e.message, /unwrap_throw/);
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  }
  throw new Error("decoded");
}

Deno.test("crc32 matches PNG's CRC of IEND", () => {
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("a PNG the codec rejects is explained: truncated, bad CRC, corrupt or short zlib data", async () => {
  const png = await Deno.readFile(new URL("images/probe2.png", FIX));
  const list = chunks(png);
  const idatIndex = list.findIndex((c) => c.type === "IDAT");
  const idatAt = 8 + list.slice(0, idatIndex).reduce((n, c) => n + 12 + c.data.length, 0);

  // cut inside the IDAT data
  const cut = await message(png.slice(0, idatAt + 40));
  assert.match(cut, /^Cannot decode PNG \(40x52, \d+ bytes\): the file is truncated: chunk IDAT/);
  assert.match(cut, /declares \d+ data bytes, 32 remain/);

  // one flipped bit in the compressed data, CRC left as it was
  const flipped = png.slice();
  flipped[idatAt + 8 + 30] ^= 0x10;
  assert.match(
    await message(flipped),
    /chunk IDAT at byte \d+ has a bad CRC \(stored 0x[0-9a-f]{8}/,
  );

  // garbage compressed data with a valid CRC
  const garbage = list.map((c) =>
    c.type === "IDAT" ? { type: c.type, data: c.data.map((b, i) => i < 2 ? b : b ^ 0x5a) } : c
  );
  assert.match(await message(assemble(garbage)), /compressed image data \(IDAT\) is corrupt/);

  // a valid zlib stream holding half of the scanlines
  const raw = await pipe(list[idatIndex].data, new DecompressionStream("deflate"));
  const half = await pipe(raw.slice(0, raw.length >> 1), new CompressionStream("deflate"));
  const short = list.map((c) => (c.type === "IDAT" ? { type: "IDAT", data: half } : c));
  assert.match(
    await message(assemble(short)),
    new RegExp(
      `image data is truncated: the IDAT stream holds ${
        raw.length >> 1
      } of the ${raw.length} bytes`,
    ),
  );

  // no image data at all
  const noData = list.filter((c) => c.type !== "IDAT");
  assert.match(await message(assemble(noData)), /no IDAT \(image data\) chunk/);
});

Deno.test("the pixel budget refuses 16000x11000 and 12000x12000 from the header, and can be raised", async () => {
  const jpg = await Deno.readFile(new URL("images/probe.jpg", FIX));
  const png = await Deno.readFile(new URL("images/probe.png", FIX));
  const bigPng = png.slice();
  new DataView(bigPng.buffer).setUint32(16, 12000);
  new DataView(bigPng.buffer).setUint32(20, 12000);
  // the IHDR CRC must stay valid for the framing check that follows a raised budget
  new DataView(bigPng.buffer).setUint32(29, crc32(bigPng.subarray(12, 29)));
  const bigJpg = jpg.slice();
  for (let i = 2; i + 9 < bigJpg.length; i++) {
    if (bigJpg[i] === 0xff && bigJpg[i + 1] === 0xc0) {
      new DataView(bigJpg.buffer).setUint16(i + 5, 11000);
      new DataView(bigJpg.buffer).setUint16(i + 7, 16000);
      break;
    }
  }
  for (const [bytes, size] of [[bigPng, "12000x12000"], [bigJpg, "16000x11000"]] as const) {
    const start = performance.now();
    await assert.rejects(decodeImage(bytes), (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError);
      assert.equal(e.code, "IMAGE_TOO_LARGE");
      assert.match(e.message, new RegExp(`${size} = \\d+ pixels exceeds the limit of 89478485`));
      assert.match(e.message, /about \d+ MB.*set maxPixels higher/);
      return true;
    });
    assert.ok(performance.now() - start < 1000, "refused from the header, nothing decoded");
  }
  // raised: the header passes, and the (cut) data is then found truncated before decoding
  await assert.rejects(decodeImage(bigPng.slice(0, 60), { maxPixels: 2e8 }), (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError && e.code === "IMAGE_DECODE", `${e}`);
    assert.match(e.message, /12000x12000.*truncated/);
    return true;
  });
});

Deno.test("corrupted PNGs give an image or one ImageDecodeError that names what was found", async () => {
  const png = await Deno.readFile(new URL("images/probe2.png", FIX));
  let seed = 777;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const reasons = new Map<string, number>();
  for (let round = 0; round < 200; round++) {
    let data = png.slice();
    if (round % 3 === 0) data = data.slice(0, 8 + rand(data.length - 8));
    else for (let k = 0; k < 1 + rand(3); k++) data[8 + rand(data.length - 8)] = rand(256);
    try {
      await decodeImage(data);
    } catch (e) {
      assert.ok(e instanceof ImageDecodeError, `round ${round}: ${e}`);
      assert.doesNotMatch(e.message, /unwrap_throw|\n/);
      const reason = /truncated|bad CRC|corrupt|IHDR|no IDAT|codec rejected|exceeds/.exec(
        e.message,
      );
      assert.ok(reason, `round ${round}: ${e.message}`);
      reasons.set(reason[0], (reasons.get(reason[0]) ?? 0) + 1);
    }
  }
  assert.ok(
    (reasons.get("truncated") ?? 0) > 0 && (reasons.get("bad CRC") ?? 0) > 0,
    [...reasons].join(),
  );
});
