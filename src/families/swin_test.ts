import assert from "node:assert/strict";
import { UnsupportedModelError } from "../errors.ts";
import { parseModelConfig } from "../config/config_registry.ts";
import { encoderFamily } from "./index.ts";
import { encoderCase, loadFamilyFixture } from "../../tests/support/family_fixtures.ts";
import { swinAttentionMask, swinPlan, swinRelativePositionIndex } from "./shared/swin_windows.ts";
import { specProblems } from "./shared/weight_specs.ts";

// Reference: tests/fixtures/families/swin_reference.py, a numpy port of v4.27's SwinModel /
// DonutSwinModel on a 43x35 image (pixel padding to 44x36), window 3 (window padding and shifted
// masks in stages 0 and 1, odd-size patch merging, window = grid in stage 2), random weights.
for (const flavour of ["swin", "donut-swin"]) {
  Deno.test(`${flavour} encoder_model reproduces the reference last_hidden_state`, async () => {
    const fx = await loadFamilyFixture("swin");
    const graph = encoderFamily(flavour).encoder(fx.fields, fx.weights, { prefix: "encoder." });
    const key = flavour === "swin" ? "last_hidden_state" : "donut_last_hidden_state";
    const diff = await encoderCase(graph.toBytes(), fx, key);
    console.log(`${flavour} encoder: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `${diff}`);
  });
}

Deno.test("Swin weightSpecs() list exactly the reference checkpoint's tensors (Donut: no final layernorm)", async () => {
  const fx = await loadFamilyFixture("swin");
  const swin = encoderFamily("swin").weightSpecs(fx.fields, { prefix: "encoder." });
  assert.deepEqual(specProblems(swin, fx.weights), []);
  const donut = encoderFamily("donut-swin").weightSpecs(fx.fields, { prefix: "encoder." });
  assert.deepEqual(specProblems(donut, fx.weights), [
    "unexpected: encoder.layernorm.weight",
    "unexpected: encoder.layernorm.bias",
  ]);
});

Deno.test("swinPlan() follows set_shift_and_window_size and refuses grids v4.27 cannot run", async () => {
  const fx = await loadFamilyFixture("swin");
  const plan = swinPlan(fx.fields as never);
  assert.deepEqual(plan.map((s) => s.grid), [[11, 9], [6, 5], [3, 3]]);
  assert.deepEqual(plan.map((s) => s.blocks.map((b) => b.shift)), [[0, 1], [0, 1], [0, 0]]);
  // grid 8 -> 4 -> 2 < window 3
  const small = parseModelConfig({ ...fx.config, image_size: 32 }).fields;
  assert.throws(() => swinPlan(small as never), UnsupportedModelError);
  const abs = parseModelConfig({ ...fx.config, use_absolute_embeddings: true }).fields;
  assert.throws(
    () => encoderFamily("swin").encoder(abs, fx.weights, {}),
    /use_absolute_embeddings/,
  );
});

Deno.test("swinRelativePositionIndex() and swinAttentionMask() match the v4.27 buffers and regions", async () => {
  const fx = await loadFamilyFixture("swin");
  const t = fx.weights.get(
    "encoder.encoder.layers.0.blocks.0.attention.self.relative_position_index",
  )!;
  const want = Array.from(new BigInt64Array(t.data.slice().buffer), Number);
  assert.deepEqual(Array.from(swinRelativePositionIndex(3)), want);
  // 6x6 grid, window 3, shift 1: window (1,1) holds three regions in each direction.
  const m = swinAttentionMask(6, 6, 3, 1);
  const n = 9;
  const last = m.subarray(3 * n * n, 4 * n * n);
  assert.equal(last[0 * n + 1], 0); // tokens (0,0) and (0,1): same region
  assert.equal(last[0 * n + 2], -100); // (0,0) and (0,2): the wrapped-around column
  assert.ok(m.subarray(0, n * n).every((v) => v === 0)); // window (0,0) is one region
});
