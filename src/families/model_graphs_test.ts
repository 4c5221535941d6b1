import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { UnsupportedModelError } from "../errors.ts";
import { buildDecoderGraphs } from "./model_graphs.ts";
import { buildCrossKv } from "./shared/cross_kv.ts";
import { type GPT2ConfigFields, gpt2CrossKv } from "./gpt2.ts";
import {
  emptyFloat,
  floatTensor,
  int64Tensor,
  loadFixture,
  maxAbsDiff,
  session,
} from "../../tests/support/golden_fixtures.ts";

for (const name of ["vit-gpt2", "trocr"]) {
  Deno.test(`buildDecoderGraphs() for ${name}: pixel values -> encoder -> cross_kv -> decoder_step give the golden logits`, async () => {
    const fx = await loadFixture(name);
    const config = VisionEncoderDecoderConfig.fromDict(fx.config);
    const set = buildDecoderGraphs(config, fx.weights, { source: name });
    const { image, decoder_input_ids: [ids], logits } = fx.golden.decoder_logits;
    const enc = await session(set.encoder.toBytes());
    const states = (await enc.run({ pixel_values: floatTensor(fx.golden.pixel_values[image]) }))
      .last_hidden_state;
    const kv = await (await session(set.crossKv.toBytes())).run({ encoder_hidden_states: states });
    const { layers, heads, headDim } = set.geometry;
    const feeds: Record<string, ort.Tensor> = { input_ids: int64Tensor(ids, [1, ids.length]) };
    for (let i = 0; i < layers; i++) {
      for (const kind of ["key", "value"]) {
        feeds[`past_key_values.${i}.encoder.${kind}`] = kv[`present.${i}.encoder.${kind}`];
        feeds[`past_key_values.${i}.decoder.${kind}`] = emptyFloat([1, heads, 0, headDim]);
      }
    }
    const out = await (await session(set.decoderStep.toBytes())).run(feeds);
    const diff = maxAbsDiff(out.logits, logits);
    console.log(`${name} end to end logits: max abs diff ${diff.toExponential(2)}`);
    // Through the encoder, float noise grows: Optimum's own export of these fixtures, run on
    // onnxruntime-web the same way, measures 2.5e-5 (vit-gpt2) and 1.98e-4 (trocr) here too.
    assert.ok(diff < 5e-4, `${diff}`);
    const vocab = logits.dims[2];
    const data = out.logits.data as Float32Array;
    const argmax = ids.map((_, t) => {
      const row = data.subarray(t * vocab, (t + 1) * vocab);
      return row.indexOf(Math.max(...row));
    });
    assert.deepEqual(argmax, fx.golden.decoder_logits.argmax[0]);
    assert.deepEqual(out[`present.${layers - 1}.decoder.key`].dims, [
      1,
      heads,
      ids.length,
      headDim,
    ]);
  });
}

Deno.test("buildDecoderGraphs() refuses an unknown decoder type with UnsupportedModelError", async () => {
  const fx = await loadFixture("vit-gpt2");
  const config = VisionEncoderDecoderConfig.fromDict(fx.config);
  const fake = {
    encoder: config.encoder,
    decoder: { ...config.decoder, modelType: "xlnet", hiddenSize: 32 },
  };
  assert.throws(() => buildDecoderGraphs(fake, fx.weights), UnsupportedModelError);
  const fakeEnc = {
    encoder: { modelType: "convnext", hiddenSize: 32, fields: config.encoder.fields },
    decoder: config.decoder,
  };
  assert.throws(() => buildDecoderGraphs(fakeEnc, fx.weights), /convnext/);
});

Deno.test("cross_kv applies enc_to_dec_proj to wider encoder states before the K/V projections", async () => {
  const fx = await loadFixture("vit-gpt2");
  // A 48-wide encoder whose projection [I | 0] keeps the first 32 features: the K/V must equal
  // those computed from the 32-wide golden states directly.
  const wide = 48, h = 32;
  const weight = new Float32Array(h * wide);
  for (let i = 0; i < h; i++) weight[i * wide + i] = 1;
  const bytes = (a: Float32Array) => new Uint8Array(a.buffer);
  const weights = new Map(fx.weights);
  weights.set("enc_to_dec_proj.weight", { dtype: "F32", shape: [h, wide], data: bytes(weight) });
  weights.set("enc_to_dec_proj.bias", {
    dtype: "F32",
    shape: [h],
    data: bytes(new Float32Array(h)),
  });
  const f = fx.parsed.decoder.fields as GPT2ConfigFields;
  const projected = await session(
    buildCrossKv(gpt2CrossKv(f), weights, { encoderHidden: wide, encToDecProj: true }).toBytes(),
  );
  const direct = await session(
    buildCrossKv(gpt2CrossKv(f), weights, { encoderHidden: h, encToDecProj: false }).toBytes(),
  );
  const g = fx.golden.encoder_last_hidden_state["probe.png"];
  const seq = g.dims[1];
  const padded = new Float32Array(seq * wide);
  for (let s = 0; s < seq; s++) {
    for (let c = 0; c < h; c++) padded[s * wide + c] = g.data[s * h + c];
    for (let c = h; c < wide; c++) padded[s * wide + c] = 100 + c; // must be ignored
  }
  const a = await projected.run({
    encoder_hidden_states: new ort.Tensor("float32", padded, [1, seq, wide]),
  });
  const b = await direct.run({ encoder_hidden_states: floatTensor(g) });
  const want = b["present.1.encoder.value"];
  assert.ok(
    maxAbsDiff(a["present.1.encoder.value"], { dims: want.dims, data: want.data as Float32Array }) <
      1e-5,
  );
});
