// References: tests/fixtures/image/cmyk_cases.json holds what Debian's python3-pil 9.4.0
// (libjpeg-turbo 2.1.5) makes of each file in tests/fixtures/image/cmyk/ with convert("RGB"),
// written by tests/fixtures/image/make_cmyk_fixtures.py (CMYK from Pillow; YCCK, 4:2:0, 4:2:2
// and restart markers from make_ycck.c against the same libjpeg).
import assert from "node:assert/strict";
import { decodeImage } from "./decode.ts";
import { ImageDecodeError } from "../errors.ts";

const FIX = new URL("../../tests/fixtures/image/", import.meta.url);
const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

interface Case {
  file: string;
  adobe_transform: number;
  width: number;
  height: number;
  rgb: string;
}

const cases = async (): Promise<Case[]> =>
  JSON.parse(await Deno.readTextFile(new URL("cmyk_cases.json", FIX))).cases;
const read = (file: string): Promise<Uint8Array> => Deno.readFile(new URL(`cmyk/${file}`, FIX));

Deno.test("CMYK and YCCK JPEGs decode to Pillow's RGB bytes exactly", async () => {
  const all = await cases();
  assert.ok(all.some((c) => c.adobe_transform === 2), "YCCK covered");
  assert.ok(all.some((c) => c.adobe_transform === 0), "CMYK covered");
  for (const c of all) {
    const img = await decodeImage(await read(c.file));
    assert.equal(`${img.width}x${img.height}`, `${c.width}x${c.height}`, c.file);
    const want = fromB64(c.rgb);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (img.data[i] !== want[i]) diff++;
    assert.equal(diff, 0, `${c.file}: ${diff} bytes differ from Pillow`);
  }
});

Deno.test("CMYK JPEGs that vedge cannot decode are refused clearly", async () => {
  const bytes = await read("pil_q90.jpg");
  const expectError = async (data: Uint8Array, pattern: RegExp): Promise<void> => {
    await assert.rejects(decodeImage(data), (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError, `${e}`);
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  };
  // progressive: the SOF0 marker relabelled SOF2
  const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
  const progressive = bytes.slice();
  progressive[sof + 1] = 0xc2;
  await expectError(progressive, /^Cannot decode JPEG: it is progressive/);
  // truncated inside the scan
  await expectError(bytes.slice(0, bytes.length - 300), /truncated/);
  // a corrupt Huffman stream
  const corrupt = bytes.slice();
  for (let i = bytes.length - 400; i < bytes.length - 300; i++) corrupt[i] = 0xfe;
  await expectError(corrupt, /corrupt|truncated/);
});

Deno.test("corrupted CMYK JPEGs give an image or one ImageDecodeError, never another error", async () => {
  const bytes = await read("ycck_422_restart.jpg");
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let refused = 0;
  for (let round = 0; round < 300; round++) {
    const data = bytes.slice();
    for (let k = 0; k < 1 + rand(4); k++) data[rand(data.length)] = rand(256);
    try {
      await decodeImage(data);
    } catch (e) {
      assert.ok(e instanceof ImageDecodeError, `round ${round}: ${e}`);
      assert.doesNotMatch(e.message, /\n/);
      refused++;
    }
  }
  assert.ok(refused > 0);
});
