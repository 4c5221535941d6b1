import assert from "node:assert/strict";
import { ENCODER_FAMILIES } from "./decoder_graphs.ts";
import { encoderCase, loadFamilyFixture } from "./family_test_support.ts";
import { specProblems } from "./weight_specs.ts";

// Reference: tests/fixtures/families/make_family_fixtures.py, a numpy port of v4.27's DeiTModel
// forward run on random weights (no golden exists for DeiT).
Deno.test("DeiT encoder_model reproduces DeiTModel's last_hidden_state (CLS + distillation tokens)", async () => {
  const fx = await loadFamilyFixture("deit");
  const graph = ENCODER_FAMILIES.deit.encoder(fx.config, fx.weights, { prefix: "encoder." });
  const diff = await encoderCase(graph.toBytes(), fx);
  console.log(`deit encoder: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `${diff}`);
});

Deno.test("DeiT weightSpecs() list exactly the reference checkpoint's tensors", async () => {
  const fx = await loadFamilyFixture("deit");
  const specs = ENCODER_FAMILIES.deit.weightSpecs(fx.config, { prefix: "encoder." });
  assert.deepEqual(specProblems(specs, fx.weights), []);
  assert.equal(specs.length, fx.weights.size);
});
