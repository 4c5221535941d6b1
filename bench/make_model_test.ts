/**
 * bench/make_model.ts builds the published shapes: parameter counts of the real checkpoints
 * (nlpconnect/vit-gpt2-image-captioning: ViT-B/16 with pooler 86.4M + GPT2 124.4M + 28.4M of
 * cross-attention = 239.2M; microsoft/trocr-small-printed: 61.6M, its model card says 62M), and
 * random weights that satisfy the families' weight specs with the requested init statistics.
 */
import assert from "node:assert/strict";
import { VisionEncoderDecoderConfig } from "../src/config/vision_encoder_decoder_config.ts";
import { visionEncoderDecoderWeightSpecs } from "../src/families/model_graphs.ts";
import { specProblems } from "../src/families/shared/weight_specs.ts";
import { type BenchModel, randomWeights, realSizeConfig } from "./make_model.ts";
import { ROOT } from "./support/fixtures.ts";

async function config(name: BenchModel, fixture: string): Promise<VisionEncoderDecoderConfig> {
  const url = new URL(`tests/fixtures/models/${fixture}/config.json`, ROOT);
  return VisionEncoderDecoderConfig.fromDict(
    realSizeConfig(name, JSON.parse(await Deno.readTextFile(url))),
  );
}

function parameters(c: VisionEncoderDecoderConfig): number {
  return visionEncoderDecoderWeightSpecs(c)
    .filter((s) => !s.tiedTo && s.init.kind !== "buffer")
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

Deno.test("make_model's configs have the real models' parameter counts", async () => {
  const vg = await config("vit-gpt2", "vit-gpt2");
  assert.equal((parameters(vg) / 1e6).toFixed(1), "239.2");
  assert.equal(vg.encoder.hiddenSize, 768);
  const tr = await config("trocr-small", "trocr");
  assert.equal((parameters(tr) / 1e6).toFixed(1), "61.6");
  assert.equal(tr.encoder.modelType, "deit");
  assert.equal(tr.decoder.hiddenSize, 256);
});

Deno.test("randomWeights() fits the weight specs with each init's statistics", async () => {
  const tr = await config("trocr-small", "trocr");
  const w = randomWeights(tr, 7);
  assert.deepEqual(specProblems(visionEncoderDecoderWeightSpecs(tr), w), []);
  const f32 = (name: string) => {
    const t = w.get(name)!;
    return new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);
  };
  const q = f32("encoder.encoder.layer.0.attention.attention.query.weight");
  const mean = q.reduce((a, b) => a + b, 0) / q.length;
  const std = Math.sqrt(q.reduce((a, b) => a + (b - mean) ** 2, 0) / q.length);
  assert.ok(Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 5e-4, `mean ${mean}, std ${std}`);
  assert.ok(f32("encoder.encoder.layer.0.layernorm_before.weight").every((v) => v === 1));
  assert.ok(f32("encoder.encoder.layer.0.attention.attention.query.bias").every((v) => v === 0));
  // seeded: the same seed gives the same bytes, another seed different ones
  const again = randomWeights(tr, 7).get("decoder.model.decoder.layers.0.fc1.weight")!.data;
  assert.deepEqual(again, w.get("decoder.model.decoder.layers.0.fc1.weight")!.data);
  const other = randomWeights(tr, 8).get("decoder.model.decoder.layers.0.fc1.weight")!.data;
  assert.notDeepEqual(other.subarray(0, 64), again.subarray(0, 64));
});
