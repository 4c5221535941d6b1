// References: tests/fixtures/image/{png,jpeg}_cases.json hold what Debian's python3-pil 9.4.0 (the
// oracle's Pillow) makes of each file with exif_transpose + convert("RGB"), written by
// tests/fixtures/image/make_{png,jpeg}_fixtures.py; tests/fixtures/goldens/*.json hold the oracle's
// sha256 of PIL's RGB decode of the probe images.
import assert from "node:assert/strict";
import { decodeImage, DEFAULT_MAX_PIXELS } from "./decode.ts";
import { ImageDecodeError } from "../errors.ts";
import { golden } from "../../tests/support/goldens.ts";

const FIX = new URL("../../tests/fixtures/", import.meta.url);
const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
interface Case {
  file: string;
  pil_mode: string;
  width: number;
  height: number;
  rgb: string;
}
const load = async (name: string): Promise<{ cases: Case[] }> =>
  JSON.parse(await Deno.readTextFile(new URL(`image/${name}`, FIX)));

async function sha256(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("decodeImage() gives PIL's RGB for every PNG colour type, bit depth, tRNS and interlace", async () => {
  const { cases } = await load("png_cases.json");
  assert.ok(cases.length >= 29);
  for (const c of cases) {
    const img = await decodeImage(await Deno.readFile(new URL(`image/png/${c.file}`, FIX)));
    assert.equal(`${img.width}x${img.height}`, `${c.width}x${c.height}`, c.file);
    assert.deepEqual(img.data, fromB64(c.rgb), `${c.file} (PIL mode ${c.pil_mode})`);
  }
});

Deno.test("decodeImage() applies EXIF orientation 1-8 of JPEGs as exif_transpose does", async () => {
  const { cases } = await load("jpeg_cases.json");
  for (const c of cases) {
    const img = await decodeImage(await Deno.readFile(new URL(`image/jpeg/${c.file}`, FIX)));
    assert.equal(`${img.width}x${img.height}`, `${c.width}x${c.height}`, c.file);
    const d = maxDiff(img.data, fromB64(c.rgb));
    assert.equal(d, 0, `${c.file}: max difference ${d} from PIL`);
  }
});

Deno.test("decodeImage() reproduces the oracle's RGB of the probe PNGs and JPEG", async () => {
  const g = await golden("vit-gpt2");
  for (const name of ["probe.png", "probe2.png", "probe.jpg"]) {
    const img = await decodeImage(await Deno.readFile(new URL(`images/${name}`, FIX)));
    const want = g.images[name];
    assert.equal(img.width, want.width);
    assert.equal(img.height, want.height);
    assert.equal(await sha256(img.data), want.rgb_sha256, name);
  }
});

Deno.test("decodeImage() refuses a PNG claiming 100000x100000 before decoding", async () => {
  const png = await Deno.readFile(new URL("images/probe.png", FIX));
  const bomb = png.slice(0, 33);
  new DataView(bomb.buffer).setUint32(16, 100000);
  new DataView(bomb.buffer).setUint32(20, 100000);
  await assert.rejects(decodeImage(bomb), (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError);
    assert.equal(e.code, "IMAGE_TOO_LARGE");
    assert.match(e.message, /100000x100000/);
    return true;
  });
  // The budget is PIL's MAX_IMAGE_PIXELS (its warning threshold) by default and configurable.
  assert.equal(DEFAULT_MAX_PIXELS, 89478485);
  await assert.rejects(decodeImage(png, { maxPixels: 1000 }), /exceeds the limit of 1000/);
});

Deno.test("decodeImage() refuses a JPEG over the limit from its SOF header", async () => {
  const jpg = await Deno.readFile(new URL("images/probe.jpg", FIX));
  await assert.rejects(decodeImage(jpg, { maxPixels: 61 * 47 - 1 }), (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError && e.code === "IMAGE_TOO_LARGE");
    return true;
  });
  assert.equal((await decodeImage(jpg, { maxPixels: 61 * 47 })).width, 61);
});

Deno.test("decodeImage() reports truncated JPEGs and PNGs, random bytes and empty input", async () => {
  const jpg = await Deno.readFile(new URL("images/probe.jpg", FIX));
  const png = await Deno.readFile(new URL("images/probe.png", FIX));
  for (const cut of [10, 200, 1000, jpg.length - 2]) {
    await assert.rejects(decodeImage(jpg.slice(0, cut)), (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError, `cut ${cut}: ${e}`);
      assert.equal(e.code, "IMAGE_DECODE");
      assert.match(e.message, /JPEG/);
      return true;
    });
  }
  for (const cut of [20, 40, png.length - 30]) {
    await assert.rejects(decodeImage(png.slice(0, cut)), ImageDecodeError, `png cut ${cut}`);
  }
  const random = new Uint8Array(4096);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  await assert.rejects(decodeImage(random), /neither PNG nor JPEG/);
  await assert.rejects(decodeImage(new Uint8Array(0)), /no bytes at all/);
  await assert.rejects(
    decodeImage(new TextEncoder().encode("GIF89a....")),
    /looks like GIF/,
  );
});

Deno.test("decodeImage() decodes the CMYK JPEG of jpeg_cases to PIL's RGB (see cmyk_jpeg_test)", async () => {
  const { cases } = await load("jpeg_cases.json");
  const c = cases.find((c) => c.file === "cmyk.jpg")!;
  const img = await decodeImage(await Deno.readFile(new URL("image/jpeg/cmyk.jpg", FIX)));
  assert.deepEqual(img.data, fromB64(c.rgb));
});

Deno.test("decodeImage() can leave EXIF orientation alone", async () => {
  const bytes = await Deno.readFile(new URL("image/jpeg/orient6.jpg", FIX));
  const raw = await decodeImage(bytes, { applyExifOrientation: false });
  assert.equal(`${raw.width}x${raw.height}`, "12x8");
  const oriented = await decodeImage(bytes);
  assert.equal(`${oriented.width}x${oriented.height}`, "8x12");
});
