/**
 * The product's central optimisation, proved by counting: the encoder runs once per image, the
 * cross-attention K/V are computed once per image batch (not per step, not per beam), the first
 * decoding step runs once per image (not per beam), and no cross-attention tensor is copied per
 * step — for both cache naming schemes, with the ids still equal to the goldens.
 */
import assert from "node:assert/strict";
import { folderFiles } from "../../src/hub/folder_files.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { detectPlatform } from "../../src/platform/detect.ts";
import { golden, type GoldenCase, modelDir } from "../support/goldens.ts";

async function load(model: string, crossAttentionOnce = true) {
  const files = folderFiles(model, modelDir(model), await detectPlatform());
  return await VisionEncoderDecoderModel.fromFiles(files, {
    device: "wasm",
    crossAttentionOnce,
    encoderCacheSize: 0,
  });
}

async function runCase(m: VisionEncoderDecoderModel, model: string, name: string) {
  const g = await golden(model);
  const c = g.generate.find((x) => x.name === name) as GoldenCase;
  const parts = c.images.map((i) => g.pixel_values[i]);
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * per));
  const out = await m.generate({ data, dims: [parts.length, ...parts[0].dims.slice(1)] }, c.kwargs);
  assert.deepEqual(out.sequences, c.sequences);
  return { out, c };
}

Deno.test("GPT2-style export: cross-attention K/V once per image batch, no copies, beams included", async () => {
  const m = await load("vit-gpt2");
  try {
    const { c } = await runCase(m, "vit-gpt2", "batch2_beam3");
    const s = m.stats;
    const steps = c.sequences[0].length - 2; // start run + one run per later token, last not fed
    assert.equal(s.encoderRuns, 1, "one encoder run for the batch of two images");
    assert.equal(s.imagesEncoded, 2);
    assert.equal(s.crossKvRuns, 1, "cross-attention K/V computed once for the batch");
    assert.equal(s.decoderFirstRuns, 1, "first step once per image batch, not per beam");
    assert.equal(s.crossBytesCopied, 0, "K/V broadcast over beams, never tiled");
    assert.equal(s.crossAttentionOnce, true);
    assert.ok(s.decoderStepRuns <= steps, `${s.decoderStepRuns} step runs for ${steps} tokens`);
  } finally {
    await m.dispose();
  }
});

Deno.test("GPT2-style export as shipped (the baseline) recomputes K/V inside every step", async () => {
  const m = await load("vit-gpt2", false);
  try {
    await runCase(m, "vit-gpt2", "beam4");
    const s = m.stats;
    // the export's step graph reads encoder_hidden_states: tiled to the 4 beams once
    assert.equal(s.crossBytesCopied, 4 * 17 * 32 * 4);
    assert.equal(s.crossKvRuns, s.decoderFirstRuns);
    assert.equal(s.crossAttentionOnce, false);
  } finally {
    await m.dispose();
  }
});

Deno.test("seq2seq-style export: encoder K/V from the first run only, widened to the beams once", async () => {
  const m = await load("trocr");
  try {
    const { c } = await runCase(m, "trocr", "beam4");
    const s = m.stats;
    assert.equal(s.encoderRuns, 1);
    assert.equal(s.decoderFirstRuns, 1, "the first step runs once for the image, not per beam");
    assert.equal(s.crossKvRuns, 1);
    assert.equal(s.decoderStepRuns, c.sequences[0].length - 2);
    // this export's with-past graph reshapes the encoder K/V with the row count, so they are
    // widened to the 4 beams once (2 layers x K,V x 4 beams x 4 heads x 17 positions x 8 dims
    // x 4 bytes) and then reused unchanged at every one of the 15 later steps
    assert.equal(s.crossBytesCopied, 2 * 2 * 4 * 4 * 17 * 8 * 4);
  } finally {
    await m.dispose();
  }
});
