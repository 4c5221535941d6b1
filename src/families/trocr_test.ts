import assert from "node:assert/strict";
import {
  buildTrOCRDecoderStep,
  sinusoidalTable,
  TROCR_FAMILY,
  type TrOCRConfigFields,
} from "./trocr.ts";
import { bartGeometry } from "./shared/bart_layers.ts";
import { buildCrossKv } from "./shared/cross_kv.ts";
import { decoderParity, loadFixture } from "../../tests/support/golden_fixtures.ts";

Deno.test("TrOCR cross_kv + decoder_step reproduce the golden logits in one pass, stepwise, and broadcast over rows", async () => {
  const fx = await loadFixture("trocr");
  const f = fx.parsed.decoder.fields as TrOCRConfigFields;
  const crossKv = buildCrossKv(TROCR_FAMILY.crossKv(f), fx.weights, {
    encoderHidden: fx.config.encoder.hidden_size as number,
    encToDecProj: false,
  });
  const step = buildTrOCRDecoderStep(f, fx.weights);
  const d = await decoderParity(fx, crossKv.toBytes(), step.toBytes(), bartGeometry(f));
  console.log(
    `trocr logits max abs diff: full ${d.fullSequence.toExponential(2)}, stepped ${
      d.stepped.toExponential(2)
    }, broadcast ${d.broadcast.toExponential(2)}`,
  );
  assert.ok(d.fullSequence < 1e-4, `full sequence: ${d.fullSequence}`);
  assert.ok(d.stepped < 1e-4, `stepped: ${d.stepped}`);
  assert.ok(d.broadcast < 1e-5, `broadcast: ${d.broadcast}`);
});

Deno.test("sinusoidalTable() matches fairseq's get_embedding (sin half, cos half, zero padding row)", () => {
  // Values from the formula evaluated by hand: dim 4 -> half 2, step = ln(10000) / 1.
  const t = sinusoidalTable(3, 4, 1);
  const freq1 = Math.exp(-Math.log(10000));
  assert.deepEqual(Array.from(t.subarray(0, 4)), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(t.subarray(4, 8)), [0, 0, 0, 0]);
  assert.ok(Math.abs(t[8] - Math.sin(2)) < 1e-7 && Math.abs(t[9] - Math.sin(2 * freq1)) < 1e-7);
  assert.ok(Math.abs(t[10] - Math.cos(2)) < 1e-7 && Math.abs(t[11] - Math.cos(2 * freq1)) < 1e-7);
});
