import assert from "node:assert/strict";
import { crc32Of, openZip } from "./zip.ts";

const FIXTURES = new URL("../../tests/fixtures/weights/", import.meta.url);

Deno.test("crc32Of() gives the standard check value and handles every tail length", () => {
  assert.equal(crc32Of(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32Of(new Uint8Array(0)), 0);
  // "The quick brown fox jumps over the lazy dog" (IEEE CRC-32 0x414fa339)
  assert.equal(
    crc32Of(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")),
    0x414fa339,
  );
});

Deno.test("openZip() reads Python zipfile's deflated ZIP64 archive and checks CRCs", async () => {
  const bytes = await Deno.readFile(new URL("features_deflate_zip64.bin", FIXTURES));
  const zip = openZip(bytes, "z");
  assert.ok(zip.entries.has("archive/data.pkl"));
  assert.ok([...zip.entries.values()].every((e) => e.method === 8));
  assert.equal(new TextDecoder().decode(await zip.read("archive/version")), "3\n");
  const e = zip.entries.get("archive/data/0")!;
  const bad = bytes.slice();
  // Corrupt the recorded CRC in the central directory copy only.
  const dv = new DataView(bad.buffer);
  for (let i = bad.length - 22; i >= 0; i--) {
    if (dv.getUint32(i, true) === 0x02014b50 && dv.getUint32(i + 16, true) === e.crc32) {
      dv.setUint32(i + 16, e.crc32 ^ 1, true);
      break;
    }
  }
  await assert.rejects(
    () => openZip(bad, "bad.zip").read("archive/data/0"),
    /fails its CRC-32 check/,
  );
});
