import assert from "node:assert/strict";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { readPytorchBin } from "./pytorch_bin.ts";
import { readSafetensors } from "./safetensors.ts";
import { openZip } from "./zip.ts";

const MODELS = new URL("../../tests/fixtures/models/", import.meta.url);
const FIXTURES = new URL("../../tests/fixtures/weights/", import.meta.url);

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`readPytorchBin() of ${model} matches model.safetensors bit for bit`, async () => {
    const bin = await readPytorchBin(
      await Deno.readFile(new URL(`${model}/pytorch_model.bin`, MODELS)),
      `${model}/pytorch_model.bin`,
    );
    const st = readSafetensors(await Deno.readFile(new URL(`${model}/model.safetensors`, MODELS)))
      .tensors;
    // transformers drops tied weights from safetensors (the golden's missing_keys_after_load).
    const tied = model === "vit-gpt2" ? ["decoder.lm_head.weight"] : [];
    assert.deepEqual([...bin.keys()].filter((k) => !st.has(k)), tied);
    assert.deepEqual([...st.keys()].filter((k) => !bin.has(k)), []);
    for (const [name, t] of st) {
      const b = bin.get(name)!;
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.ok(b.data.every((x, i) => x === t.data[i]), `${name} bytes differ`);
    }
    if (model === "vit-gpt2") {
      const head = bin.get("decoder.lm_head.weight")!;
      const wte = bin.get("decoder.transformer.wte.weight")!;
      assert.equal(head.data.byteOffset, wte.data.byteOffset, "tied weights share one storage");
    }
  });
}

const expected: Record<string, { dtype: string; shape: number[]; hex: string }> = JSON.parse(
  await Deno.readTextFile(new URL("features_expected.json", FIXTURES)),
);
for (
  const file of [
    "features.bin", // torch zip layout, stored entries
    "features_deflate_zip64.bin", // deflated entries, ZIP64 records
    "features_bigendian.bin", // byteorder record "big"
    "features_legacy.bin", // torch < 1.6 layout
  ]
) {
  Deno.test(`readPytorchBin() gathers offsets, strides, shared, fp16/bf16 storages of ${file}`, async () => {
    const map = await readPytorchBin(await Deno.readFile(new URL(file, FIXTURES)), file);
    assert.deepEqual([...map.keys()], Object.keys(expected));
    for (const [name, e] of Object.entries(expected)) {
      const t = map.get(name)!;
      assert.equal(t.dtype, e.dtype, name);
      assert.deepEqual(t.shape, e.shape, name);
      assert.equal(hex(t.data), e.hex, name);
    }
  });
}

Deno.test("readPytorchBin() refuses a pickle calling os.system, names posix.system, runs nothing", async () => {
  const marker = "/tmp/vedge_pwned_by_pickle";
  await Deno.remove(marker).catch(() => {});
  const bytes = await Deno.readFile(new URL("malicious_os_system.bin", FIXTURES));
  await assert.rejects(() => readPytorchBin(bytes, "evil.bin"), (e: unknown) => {
    assert.ok(e instanceof ModelLoadError);
    assert.match(e.message, /^Cannot load archive\/data\.pkl in evil\.bin: .*global posix\.system/);
    assert.match(e.message, /nothing was executed/);
    return true;
  });
  const p4 = await Deno.readFile(new URL("malicious_eval_p4.bin", FIXTURES));
  await assert.rejects(() => readPytorchBin(p4, "evil4.bin"), /global builtins\.eval/);
  await assert.rejects(() => Deno.stat(marker), Deno.errors.NotFound);
});

Deno.test("readPytorchBin() reports truncated, corrupt and foreign files clearly", async () => {
  const good = await Deno.readFile(new URL("features.bin", FIXTURES));
  await assert.rejects(
    () => readPytorchBin(good.subarray(0, 1500), "cut.bin"),
    /cut\.bin as a zip archive: no end-of-central-directory record/,
  );
  // Flip one byte inside the first storage record's data (found through its local header).
  const entry = openZip(good, "features.bin").entries.get("archive/data/0")!;
  const dv = new DataView(good.buffer, good.byteOffset);
  const h = entry.localHeaderOffset;
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  const flipped = good.slice();
  flipped[start + 5] ^= 0xff;
  await assert.rejects(
    () => readPytorchBin(flipped, "flip.bin"),
    /Cannot read flip\.bin as a zip archive: archive\/data\/0 fails its CRC-32 check/,
  );
  await assert.rejects(
    () => readPytorchBin(new TextEncoder().encode("hello"), "x"),
    /neither a zip/,
  );
  const legacy = await Deno.readFile(new URL("features_legacy.bin", FIXTURES));
  await assert.rejects(
    () => readPytorchBin(legacy.subarray(0, legacy.length - 4), "l.bin"),
    /legacy torch format\): truncated inside storage/,
  );
  const tar = new Uint8Array(600);
  tar.set(new TextEncoder().encode("ustar"), 257);
  await assert.rejects(() => readPytorchBin(tar, "t"), UnsupportedModelError);
});

Deno.test("readPytorchBin() checks each storage's declared size against its tensors before reading it", async () => {
  const bytes = await Deno.readFile(
    new URL("../../tests/fixtures/weights/features.bin", import.meta.url),
  );
  const zip = openZip(bytes, "f");
  const rec = [...zip.entries.values()].find((e) => /\/data\/\d+$/.test(e.name))!;
  // Change the size its central directory entry declares (stored: sizes at +20 and +24).
  const bad = bytes.slice();
  const dv = new DataView(bad.buffer);
  const name = new TextEncoder().encode(rec.name);
  for (let i = bad.length - 46; i >= 0; i--) {
    if (
      dv.getUint32(i, true) === 0x02014b50 && dv.getUint16(i + 28, true) === name.length &&
      new TextDecoder().decode(bad.subarray(i + 46, i + 46 + name.length)) === rec.name
    ) {
      dv.setUint32(i + 20, rec.size + 4, true);
      dv.setUint32(i + 24, rec.size + 4, true);
      break;
    }
  }
  await assert.rejects(
    readPytorchBin(bad, "pytorch_model.bin"),
    new RegExp(
      `${rec.name.replaceAll("/", "\\/")} declares ${
        rec.size + 4
      } bytes, its \\d+-element \\w+ storage needs ${rec.size}`,
    ),
  );
});
