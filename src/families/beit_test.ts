import assert from "node:assert/strict";
import { buildBeitEncoder, relativePositionIndex } from "./beit.ts";
import {
  floatTensor,
  loadFixture,
  maxAbsDiff,
  session,
} from "../../tests/support/golden_fixtures.ts";

Deno.test("buildBeitEncoder() reproduces BeitModel's last_hidden_state for the golden pixel values", async () => {
  const { parsed, weights, golden } = await loadFixture("trocr");
  const graph = buildBeitEncoder(parsed.encoder.fields as never, weights);
  const s = await session(graph.toBytes());
  for (const image of ["probe.png", "probe2.png"]) {
    const out = await s.run({ pixel_values: floatTensor(golden.pixel_values[image]) });
    const diff = maxAbsDiff(out.last_hidden_state, golden.encoder_last_hidden_state[image]);
    console.log(`beit encoder ${image}: max abs diff ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `${image}: ${diff}`);
  }
  await s.release();
});

Deno.test("relativePositionIndex() equals the relative_position_index buffer saved by Python", async () => {
  const { weights } = await loadFixture("trocr");
  const saved = weights.get(
    "encoder.encoder.layer.0.attention.attention.relative_position_bias.relative_position_index",
  )!;
  const values = Array.from(new BigInt64Array(saved.data.slice().buffer), Number);
  assert.deepEqual(Array.from(relativePositionIndex(4, 4)), values);
});
