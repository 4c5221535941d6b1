import assert from "node:assert/strict";
import { ROBERTA_FAMILY, type RobertaConfigFields } from "./roberta.ts";
import { decoderCases, loadFamilyFixture } from "../../tests/support/family_fixtures.ts";
import { specProblems } from "./shared/weight_specs.ts";

// Reference: tests/fixtures/families/decoder_references.py, a numpy port of v4.27's forward with
// the key/value cache, on random weights (no golden exists for this family).
Deno.test("roberta cross_kv + decoder_step reproduce the reference logits in one pass, stepwise, and over 2 images", async () => {
  const fx = await loadFamilyFixture("roberta");
  const d = await decoderCases(fx);
  console.log(
    `roberta logits max abs diff: full ${d.full.toExponential(2)}, stepped ${
      d.stepped.toExponential(2)
    }, 4 rows on 2 images ${d.batch.toExponential(2)}`,
  );
  assert.ok(d.full < 1e-4, `full: ${d.full}`);
  assert.ok(d.stepped < 1e-4, `stepped: ${d.stepped}`);
  assert.ok(d.batch < 1e-4, `batch: ${d.batch}`);
});

Deno.test("roberta weightSpecs() cover the reference checkpoint's tensors", async () => {
  const fx = await loadFamilyFixture("roberta");
  const specs = ROBERTA_FAMILY.weightSpecs(fx.fields as RobertaConfigFields, {
    prefix: "decoder.",
  });
  assert.deepEqual(specProblems(specs, fx.weights), []);
});

Deno.test("roberta fixture has teeth: the pad inside the ids makes stepped positions differ from full ones", async () => {
  // create_position_ids_from_input_ids counts only the ids of the current call, so after a pad the
  // cached run's positions (and logits) differ from the full run's; the graph matched both above.
  const fx = await loadFamilyFixture("roberta");
  const full = (fx.doc.logits as { data: number[] }).data;
  const stepped = (fx.doc.stepped_logits as { data: number[] }).data;
  const diff = Math.max(...full.map((v, i) => Math.abs(v - stepped[i])));
  assert.ok(diff > 1e-2, `${diff}`);
});
