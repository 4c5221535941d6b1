/**
 * Models no checkpoint fully describes: random initialisation from configs (the seed's first
 * example, ViT + BERT, and Swin + BERT), and a pretrained encoder joined with a pretrained decoder
 * (trocr's BEiT encoder + vit-gpt2's GPT2 decoder). Each builds, generates, and saves, and what it
 * saved loads back to identical outputs.
 */
import assert from "node:assert/strict";
import { parseModelConfig } from "../../src/config/config_registry.ts";
import { VisionEncoderDecoderConfig } from "../../src/config/vision_encoder_decoder_config.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { golden, modelDir } from "../support/goldens.ts";

const BERT = {
  model_type: "bert",
  vocab_size: 99,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 37,
  max_position_embeddings: 64,
};
const TOP = { decoder_start_token_id: 2, pad_token_id: 0, eos_token_id: 3 };

function randomPixels(images: number, size: number) {
  const data = new Float32Array(images * 3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 0.9;
  return { data, dims: [images, 3, size, size] };
}

async function buildGenerateSave(config: VisionEncoderDecoderConfig, size: number) {
  const m = await VisionEncoderDecoderModel.fromConfig(config, { device: "wasm", seed: 7 });
  const twin = await VisionEncoderDecoderModel.fromConfig(config, { device: "wasm", seed: 7 });
  const other = await VisionEncoderDecoderModel.fromConfig(config, { device: "wasm", seed: 8 });
  const dir = await Deno.makeTempDir();
  try {
    const pv = randomPixels(2, size);
    const options = { max_new_tokens: 6, num_beams: 3, min_new_tokens: 6 };
    const out = await m.generate(pv, options);
    assert.equal(out.sequences.length, 2);
    assert.ok(out.sequences.every((s) => s[0] === 2 && s.length === 7));
    assert.deepEqual((await twin.generate(pv, options)).sequences, out.sequences, "seeded");
    const a = await m.forward({ pixelValues: pv, decoderInputIds: [[2, 5, 6], [2, 7, 8]] });
    const b = await other.forward({ pixelValues: pv, decoderInputIds: [[2, 5, 6], [2, 7, 8]] });
    assert.notDeepEqual(
      Array.from(a.logits.data),
      Array.from(b.logits.data),
      "another seed differs",
    );
    await m.savePretrained(dir);
    for (const from of ["safetensors", "onnx"] as const) {
      const again = await VisionEncoderDecoderModel.fromPretrained(dir, { device: "wasm", from });
      try {
        const back = await again.generate(pv, options);
        assert.deepEqual(back.sequences, out.sequences, from);
      } finally {
        await again.dispose();
      }
    }
  } finally {
    await Promise.all([m.dispose(), twin.dispose(), other.dispose()]);
  }
}

Deno.test("fromConfig(ViT + BERT) builds, generates reproducibly, saves and reloads", async () => {
  const vit = parseModelConfig({
    model_type: "vit",
    image_size: 32,
    patch_size: 8,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 37,
  });
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
    vit,
    parseModelConfig(BERT),
    TOP,
  );
  await buildGenerateSave(config, 32);
});

Deno.test("fromConfig(Swin + BERT) builds, generates reproducibly, saves and reloads", async () => {
  const swin = parseModelConfig({
    model_type: "swin",
    image_size: 32,
    patch_size: 4,
    embed_dim: 16,
    depths: [2, 2],
    num_heads: [2, 4],
    window_size: 4,
  });
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
    swin,
    parseModelConfig(BERT),
    TOP,
  );
  await buildGenerateSave(config, 32);
});

Deno.test("fromEncoderDecoderPretrained joins trocr's encoder with vit-gpt2's decoder and generates", async () => {
  const warnings: string[] = [];
  const m = await VisionEncoderDecoderModel.fromEncoderDecoderPretrained(
    modelDir("trocr"),
    modelDir("vit-gpt2"),
    { device: "wasm", onWarning: (w) => warnings.push(w) },
  );
  try {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /enc_to_dec_proj\.weight/);
    assert.equal(m.config.encoder.modelType, "beit");
    assert.equal(m.config.decoder.modelType, "gpt2");
    const g = await golden("trocr");
    const pv = g.pixel_values["probe.png"];
    const out = await m.generate(
      { data: new Float32Array(pv.data), dims: pv.dims },
      { max_new_tokens: 5, min_new_tokens: 5, decoder_start_token_id: 50256 },
    );
    assert.equal(out.sequences[0].length, 6);
    assert.equal(out.sequences[0][0], 50256);
    assert.ok(out.sequences[0].every((t) => t >= 0 && t < 50257));
  } finally {
    await m.dispose();
  }
});
