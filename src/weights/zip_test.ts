import assert from "node:assert/strict";
import { crc32 as crc32Of } from "../crc32.ts";
import { openZip } from "./zip.ts";

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

/**
 * A one-entry zip archive (deflated), whose directory may declare a size other than the real one.
 * @param name entry name
 * @param deflated raw deflate bytes
 * @param declared the uncompressed size to record
 * @param crc the CRC-32 to record
 * @returns the archive
 */
function oneEntryZip(
  name: string,
  deflated: Uint8Array,
  declared: number,
  crc: number,
): Uint8Array {
  const n = new TextEncoder().encode(name);
  const local = new Uint8Array(30 + n.length);
  const lv = new DataView(local.buffer);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(8, 8, true);
  lv.setUint32(14, crc, true);
  lv.setUint32(18, deflated.length, true);
  lv.setUint32(22, declared, true);
  lv.setUint16(26, n.length, true);
  local.set(n, 30);
  const central = new Uint8Array(46 + n.length);
  const cv = new DataView(central.buffer);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(10, 8, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, deflated.length, true);
  cv.setUint32(24, declared, true);
  cv.setUint16(28, n.length, true);
  cv.setUint32(42, 0, true);
  central.set(n, 46);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, central.length, true);
  ev.setUint32(16, local.length + deflated.length, true);
  const out = new Uint8Array(local.length + deflated.length + central.length + 22);
  out.set(local);
  out.set(deflated, local.length);
  out.set(central, local.length + deflated.length);
  out.set(eocd, out.length - 22);
  return out;
}

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("openZip() stops inflating a zip bomb at its declared size", async () => {
  // 64 MiB of zeros deflate to about 64 KiB; the directory claims 12,943 bytes.
  const real = new Uint8Array(64 * 1024 * 1024);
  const deflated = await deflateRaw(real);
  const zip = oneEntryZip("archive/data/0", deflated, 12_943, 0);
  await assert.rejects(
    openZip(zip, "bomb.bin").read("archive/data/0"),
    /Cannot inflate archive\/data\/0 in bomb\.bin: inflates to more than the 12943 bytes its directory declares/,
  );
  // Memory is measured in a process of its own: parallel test files share this one's RSS.
  const path = await Deno.makeTempFile({ suffix: ".zip" });
  await Deno.writeFile(path, zip);
  const zipModule = new URL("./zip.ts", import.meta.url).href;
  const script = `import { openZip } from ${JSON.stringify(zipModule)};
    const zip = openZip(await Deno.readFile(${JSON.stringify(path)}), "bomb.bin");
    const rss0 = Deno.memoryUsage().rss;
    try { await zip.read("archive/data/0"); } catch { /* refused */ }
    console.log(Deno.memoryUsage().rss - rss0);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(path);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const grew = Number(new TextDecoder().decode(out.stdout).trim());
  assert.ok(grew < 32 * 1024 * 1024, `RSS grew ${grew} bytes inflating a 64 MiB bomb`);
  // The honest declaration inflates and passes the CRC.
  const small = new TextEncoder().encode("hello hello hello hello");
  const ok = oneEntryZip("a", await deflateRaw(small), small.length, crc32Of(small));
  assert.deepEqual(await openZip(ok, "ok.zip").read("a"), small);
  // A short stream is refused too.
  const short = oneEntryZip("a", await deflateRaw(small), small.length + 5, crc32Of(small));
  await assert.rejects(
    openZip(short, "s.zip").read("a"),
    /inflates to 23 bytes, its directory declares 28/,
  );
});

Deno.test("openZip() refuses a declared size no deflate stream can reach, before inflating", async () => {
  const zip = oneEntryZip("a", new Uint8Array(100), 4_000_000_000, 0);
  await assert.rejects(
    openZip(zip, "z.bin").read("a"),
    /declares 4000000000 bytes from 100 compressed, more than deflate can produce/,
  );
});
