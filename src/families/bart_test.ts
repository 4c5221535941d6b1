import assert from "node:assert/strict";
import { decoderFamily } from "./index.ts";
import { decoderCases, loadFamilyFixture } from "../../tests/support/family_fixtures.ts";
import { specProblems } from "./shared/weight_specs.ts";

// Reference: tests/fixtures/families/decoder_references.py, a numpy port of v4.27's forward with
// the key/value cache, on random weights (no golden exists for this family).
Deno.test("bart cross_kv + decoder_step reproduce the reference logits in one pass, stepwise, and over 2 images", async () => {
  const fx = await loadFamilyFixture("bart");
  const d = await decoderCases(fx);
  console.log(
    `bart logits max abs diff: full ${d.full.toExponential(2)}, stepped ${
      d.stepped.toExponential(2)
    }, 4 rows on 2 images ${d.batch.toExponential(2)}`,
  );
  assert.ok(d.full < 1e-4, `full: ${d.full}`);
  assert.ok(d.stepped < 1e-4, `stepped: ${d.stepped}`);
  assert.ok(d.batch < 1e-4, `batch: ${d.batch}`);
});

Deno.test("bart weightSpecs() cover the reference checkpoint's tensors", async () => {
  const fx = await loadFamilyFixture("bart");
  const specs = decoderFamily("bart").weightSpecs(fx.fields, { prefix: "decoder." });
  assert.deepEqual(specProblems(specs, fx.weights), []);
});
