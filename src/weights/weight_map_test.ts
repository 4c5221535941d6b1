import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { assertNames, checkNames, getWeight, type WeightMap } from "./weight_map.ts";

function t(shape: number[]): { dtype: "F32"; shape: number[]; data: Uint8Array } {
  return { dtype: "F32", shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) };
}

const map: WeightMap = new Map([
  ["decoder.transformer.h.0.attn.c_attn.weight", t([32, 64])],
  ["decoder.transformer.h.0.attn.masked_bias", t([])],
  ["encoder.pooler.dense.weight", t([4, 4])],
]);

Deno.test("getWeight() names the tensor and both shapes when they differ", () => {
  assert.throws(
    () => getWeight(map, "decoder.transformer.h.0.attn.c_attn.weight", [32, 96]),
    (e: unknown) =>
      e instanceof ModelLoadError &&
      e.message === "decoder.transformer.h.0.attn.c_attn.weight: expected [32, 96], found [32, 64]",
  );
  assert.throws(
    () => getWeight(map, "nope", [1], { source: "model.safetensors" }),
    /nope in model\.safetensors/,
  );
  assert.throws(
    () => getWeight(map, "encoder.pooler.dense.weight", [4, 4], { dtypes: ["F16"] }),
    /F16/,
  );
  assert.equal(getWeight(map, "encoder.pooler.dense.weight", [4, 4]).shape.length, 2);
});

Deno.test("checkNames() lists every missing, unexpected and mis-shaped tensor at once", () => {
  const expected = new Map<string, number[] | null>([
    ["decoder.transformer.h.0.attn.c_attn.weight", [32, 96]],
    ["decoder.lm_head.weight", [10, 32]],
    ["decoder.wte.weight", null],
  ]);
  const r = checkNames(map, expected, {
    ignoreMissing: [/lm_head/],
    ignoreUnexpected: [/\.attn\.masked_bias$/],
  });
  assert.deepEqual(r.missing, ["decoder.wte.weight"]);
  assert.deepEqual(r.unexpected, ["encoder.pooler.dense.weight"]);
  assert.deepEqual(r.misShaped, [
    "decoder.transformer.h.0.attn.c_attn.weight: expected [32, 96], found [32, 64]",
  ]);
  assert.equal(r.problems.length, 3);
  assert.deepEqual(checkNames(map, map.keys()).problems, []);
  assert.throws(
    () => assertNames(map, ["x"], { source: "m" }),
    /m: 4 problem\(s\):\n {2}missing: x\n {2}unexpected: decoder/,
  );
});
