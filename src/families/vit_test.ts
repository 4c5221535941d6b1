import assert from "node:assert/strict";
import { VIT_FAMILY } from "./vit.ts";
import {
  floatTensor,
  loadFixture,
  maxAbsDiff,
  session,
} from "../../tests/support/golden_fixtures.ts";

Deno.test("buildVitEncoder() reproduces ViTModel's last_hidden_state for the golden pixel values", async () => {
  const { parsed, weights, golden } = await loadFixture("vit-gpt2");
  const graph = VIT_FAMILY.encoder(parsed.encoder.fields as never, weights);
  const s = await session(graph.toBytes());
  for (const image of ["probe.png", "probe2.png"]) {
    const out = await s.run({ pixel_values: floatTensor(golden.pixel_values[image]) });
    const diff = maxAbsDiff(out.last_hidden_state, golden.encoder_last_hidden_state[image]);
    console.log(`vit encoder ${image}: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `${image}: ${diff}`);
  }
  await s.release();
});
