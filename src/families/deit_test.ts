import assert from "node:assert/strict";
import { DEIT_FAMILY } from "./deit.ts";
import { encoderCase, loadFamilyFixture } from "../../tests/support/family_fixtures.ts";
import { specProblems } from "./shared/weight_specs.ts";

// Reference: tests/fixtures/families/make_family_fixtures.py, a numpy port of v4.27's DeiTModel
// forward run on random weights (no golden exists for DeiT).
Deno.test("DeiT encoder_model reproduces DeiTModel's last_hidden_state (CLS + distillation tokens)", async () => {
  const fx = await loadFamilyFixture("deit");
  const graph = DEIT_FAMILY.encoder(fx.fields as never, fx.weights, { prefix: "encoder." });
  const diff = await encoderCase(graph.toBytes(), fx);
  console.log(`deit encoder: max abs diff ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `${diff}`);
});

Deno.test("DeiT weightSpecs() list exactly the reference checkpoint's tensors", async () => {
  const fx = await loadFamilyFixture("deit");
  const specs = DEIT_FAMILY.weightSpecs(fx.fields as never, { prefix: "encoder." });
  assert.deepEqual(specProblems(specs, fx.weights), []);
  assert.equal(specs.length, fx.weights.size);
});
