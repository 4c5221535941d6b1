import assert from "node:assert/strict";
import { buildGpt2DecoderStep, type GPT2ConfigFields, gpt2CrossKv, gpt2Geometry } from "./gpt2.ts";
import { buildCrossKv } from "./shared/cross_kv.ts";
import { decoderParity, loadFixture } from "../../tests/support/golden_fixtures.ts";

Deno.test("GPT2 cross_kv + decoder_step reproduce the golden logits in one pass, stepwise, and broadcast over rows", async () => {
  const fx = await loadFixture("vit-gpt2");
  const f = fx.parsed.decoder.fields as GPT2ConfigFields;
  const crossKv = buildCrossKv(gpt2CrossKv(f), fx.weights, {
    encoderHidden: fx.config.encoder.hidden_size as number,
    encToDecProj: false,
  });
  const step = buildGpt2DecoderStep(f, fx.weights);
  const d = await decoderParity(fx, crossKv.toBytes(), step.toBytes(), gpt2Geometry(f));
  console.log(
    `gpt2 logits max abs diff: full ${d.fullSequence.toExponential(2)}, stepped ${
      d.stepped.toExponential(2)
    }, broadcast ${d.broadcast.toExponential(2)}`,
  );
  assert.ok(d.fullSequence < 1e-4, `full sequence: ${d.fullSequence}`);
  assert.ok(d.stepped < 1e-4, `stepped: ${d.stepped}`);
  assert.ok(d.broadcast < 1e-5, `broadcast: ${d.broadcast}`);
});
