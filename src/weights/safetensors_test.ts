import assert from "node:assert/strict";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";

const MODELS = new URL("../../tests/fixtures/models/", import.meta.url);
const GOLDENS = new URL("../../tests/fixtures/goldens/", import.meta.url);

/** Builds a file from a header object and data bytes, as a hand-made (possibly bad) file. */
function fileOf(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`readSafetensors() reads the ${model} fixture: golden tensor count, views, metadata`, async () => {
    const bytes = await Deno.readFile(new URL(`${model}/model.safetensors`, MODELS));
    const golden = JSON.parse(await Deno.readTextFile(new URL(`${model}.json`, GOLDENS)));
    const file = readSafetensors(bytes, `${model}/model.safetensors`);
    assert.equal(file.tensors.size, golden.self_checks.safetensors_tensor_names);
    assert.deepEqual(file.metadata, { format: "pt" });
    const cls = file.tensors.get("encoder.embeddings.cls_token")!;
    assert.equal(cls.dtype, "F32");
    assert.equal(cls.data.buffer, bytes.buffer, "tensor data is a view into the file, not a copy");
  });

  Deno.test(`writeSafetensors() reproduces the ${model} fixture byte for byte in its layout`, async () => {
    const bytes = await Deno.readFile(new URL(`${model}/model.safetensors`, MODELS));
    const { tensors, metadata } = readSafetensors(bytes);
    // The fixture keeps state_dict order with __metadata__ last; the crate's layout differs.
    const same = writeSafetensors(tensors, metadata, {
      order: "insertion",
      metadataPosition: "last",
    });
    assert.equal(same.byteLength, bytes.byteLength);
    assert.ok(same.every((b, i) => b === bytes[i]), "byte-identical");
    const crate = writeSafetensors(tensors, metadata);
    assert.ok(crate.some((b, i) => b !== bytes[i]));
    const again = readSafetensors(crate).tensors;
    assert.deepEqual([...again.keys()].sort(), [...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      assert.equal(again.get(name)!.dtype, t.dtype);
      assert.deepEqual(again.get(name)!.shape, t.shape);
    }
    for (const [name, t] of tensors) {
      assert.deepEqual([...again.get(name)!.data], [...t.data], name);
    }
  });
}

Deno.test("writeSafetensors() matches the Rust crate's own serialisation test vectors", () => {
  // safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty.
  const data = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
  const one = writeSafetensors(new Map([["attn.0", { dtype: "F32", shape: [1, 2, 3], data }]]));
  assert.deepEqual([...one.subarray(0, 8)], [64, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(
    new TextDecoder().decode(one.subarray(8, 72)),
    '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
  );
  const aligned = writeSafetensors(
    new Map([["attn0", { dtype: "F32", shape: [1, 1, 2, 3], data }]]),
  );
  assert.deepEqual([...aligned.subarray(0, 8)], [72, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(
    new TextDecoder().decode(aligned.subarray(8, 80)),
    '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ',
  );
  assert.deepEqual([...writeSafetensors(new Map())], [
    8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    123,
    125,
    32,
    32,
    32,
    32,
    32,
    32,
  ]);
  const meta = writeSafetensors(new Map(), { framework: "pt" });
  assert.equal(
    new TextDecoder().decode(meta.subarray(8)),
    '{"__metadata__":{"framework":"pt"}}     ',
  );
});

Deno.test("writeSafetensors() orders tensors as the crate does: dtype alignment descending, then name", () => {
  const t = (dtype: "F32" | "I64" | "BOOL" | "F16", n: number) => ({
    dtype,
    shape: [n],
    data: new Uint8Array(n * { F32: 4, I64: 8, BOOL: 1, F16: 2 }[dtype]),
  });
  const map = new Map([["b", t("F32", 1)], ["mask", t("BOOL", 3)], ["a", t("F32", 2)], [
    "ids",
    t("I64", 1),
  ], ["h", t("F16", 1)]]);
  const file = writeSafetensors(map);
  const n = Number(new DataView(file.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
  assert.deepEqual(Object.keys(header), ["ids", "a", "b", "h", "mask"]);
  assert.deepEqual(header.a.data_offsets, [8, 16]);
});

Deno.test("readSafetensors() refuses truncated and inconsistent files with a clear message", () => {
  const entry = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const ok = fileOf({ w: entry }, new Uint8Array(8));
  assert.equal(readSafetensors(ok).tensors.get("w")?.shape[0], 2);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /5 bytes, shorter than the 8-byte header length/],
    [
      fileOf({ w: entry }, new Uint8Array(8), 10_000),
      /header length 10000 runs past the end of the file/,
    ],
    [
      ok.subarray(0, ok.byteLength - 3),
      /w data_offsets \[0, 8\] run past the end of the data \(5 bytes/,
    ],
    [
      fileOf({ w: { ...entry, data_offsets: [0, 12] } }, new Uint8Array(12)),
      /F32 \[2\] \(8 bytes\) but its data_offsets \[0, 12\] span 12 bytes/,
    ],
    [fileOf({ w: { ...entry, shape: [3] } }, new Uint8Array(8)), /F32 \[3\] \(12 bytes\)/],
    [
      fileOf({ w: entry, v: { ...entry, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /overlaps w/,
    ],
    [
      fileOf({ w: { ...entry, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /bytes \[0, 4\) before tensor w belong to no tensor/,
    ],
    [fileOf({ w: entry }, new Uint8Array(10)), /last 2 bytes of the data belong to no tensor/],
    [fileOf({ w: { ...entry, dtype: "F33" } }, new Uint8Array(8)), /unknown dtype "F33"/],
    [fileOf({ w: { ...entry, shape: [-2] } }, new Uint8Array(8)), /invalid shape/],
    [
      fileOf({ __metadata__: { n: 1 } }, new Uint8Array(0)),
      /__metadata__ must map strings to strings/,
    ],
    [fileOf([1, 2], new Uint8Array(0)), /not a JSON object/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => readSafetensors(bytes, "bad.safetensors"), (e: unknown) => {
      assert.ok(e instanceof ModelLoadError, String(e));
      assert.match(e.message, /^Cannot load bad\.safetensors: /);
      assert.match(e.message, re);
      return true;
    });
  }
  const badJson = fileOf({}, new Uint8Array(0));
  badJson[9] = 0x7b; // "{{"
  assert.throws(() => readSafetensors(badJson), /not valid UTF-8 JSON/);
  assert.throws(
    () =>
      readSafetensors(fileOf({ w: { ...entry, dtype: "F8_E4M3", shape: [8] } }, new Uint8Array(8))),
    UnsupportedModelError,
  );
});
