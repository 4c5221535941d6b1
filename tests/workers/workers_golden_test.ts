/**
 * The model in two Web Workers answers what the Python reference answers (the goldens) and what
 * the same pipeline answers inline: every generate case of both fixtures (greedy, beam 4,
 * batches of two), token ids identical, beam scores within 1e-4; and the encoder states of an
 * image cross to the decoder worker once, whatever the beams and steps.
 */
import assert from "node:assert/strict";
import { pipeline } from "../../mod.ts";
import type { CaptionResult, ImageToTextPipeline } from "../../src/pipeline/image_to_text.ts";
import { golden, type GoldenCase, imagePath, modelDir, MODELS } from "../support/goldens.ts";
import { assertGolden } from "./assert_golden.ts";

async function captionCase(p: ImageToTextPipeline, c: GoldenCase): Promise<CaptionResult[]> {
  const images = await Promise.all(c.images.map((n) => p.load(imagePath(n))));
  return await p.caption(images, c.kwargs);
}

for (const model of MODELS) {
  Deno.test(`${model}: workers and inline both reproduce every golden case`, async (t) => {
    const g = await golden(model);
    const inline = await pipeline("image-to-text", modelDir(model), {
      device: "wasm",
      workers: false,
    });
    const workers = await pipeline("image-to-text", modelDir(model), {
      device: "wasm",
      workers: true,
    });
    try {
      assert.equal(inline.workers, null);
      assert.ok(workers.workers, "workers: true runs the model in workers");
      assert.throws(() => workers.model, /the model runs in Web Workers/, "no model here");
      assert.deepEqual(workers.generationConfig, inline.generationConfig);
      for (const c of g.generate) {
        await t.step(c.name, async () => {
          const [a, b] = await Promise.all([captionCase(workers, c), captionCase(inline, c)]);
          assertGolden(a, c, "workers");
          assertGolden(b, c, "inline");
        });
      }
    } finally {
      await Promise.all([inline.dispose(), workers.dispose()]);
    }
  });
}

Deno.test("encoder states cross to the decoder worker once per image, transferred, for beam 4", async () => {
  const g = await golden("vit-gpt2");
  const p = await pipeline("image-to-text", modelDir("vit-gpt2"), {
    device: "wasm",
    workers: true,
  });
  try {
    const w = p.workers!;
    const images = await Promise.all(["probe.png", "probe2.png"].map((n) => p.load(imagePath(n))));
    const before = w.lastDecoderStats;
    assert.equal(before, null);
    const out = await p.caption(images, { max_new_tokens: 16, num_beams: 4 });
    assert.equal(out.length, 2);
    // one image's encoder output: [1, seq, hidden] float32, from the Python reference's shape
    const [, seq, hidden] = g.encoder_last_hidden_state["probe.png"].dims;
    const statesBytes = seq * hidden * 4;
    const [, c, h, wd] = g.pixel_values["probe.png"].dims;
    const pixelBytes = c * h * wd * 4;
    // one decode per group of images encoded while the decoder was busy: 1 or 2 messages
    const decodes = w.decoder.stats.sent.decode;
    assert.ok(decodes === 1 || decodes === 2, `${decodes} decode messages for 2 images`);
    assert.deepEqual(w.decoder.stats.bytesSent, { load: 0, decode: 2 * statesBytes });
    assert.equal(w.decoder.stats.bytesReceived, 0, "nothing but token ids comes back");
    assert.deepEqual(w.encoder.stats.bytesSent, { load: 0, encode: 2 * pixelBytes });
    assert.equal(w.encoder.stats.bytesReceived, 2 * statesBytes);
    // the cross-attention K/V were computed in the decoder worker once per decoded group (each
    // image in one group), the first step once per group, not per beam; nothing copied per step
    const d = w.lastDecoderStats!;
    assert.equal(d.crossKvRuns, decodes);
    assert.equal(d.decoderFirstRuns, decodes);
    assert.equal(d.crossBytesCopied, 0);
    // pixel values stay usable on this thread: what crossed was a copy of them
    assert.deepEqual(await p.caption(images, { max_new_tokens: 16, num_beams: 4 }), out);
  } finally {
    await p.dispose();
  }
});
