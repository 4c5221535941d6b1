import assert from "node:assert/strict";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { memoryFiles } from "../hub/model_files.ts";
import { GPT2_FAMILY } from "../families/gpt2.ts";
import { isFamily, parseModelConfig } from "./config_registry.ts";
import { loadModelConfig, parseConfig } from "./load_model_config.ts";
import { VisionEncoderDecoderConfig } from "./vision_encoder_decoder_config.ts";

const MODELS = new URL("../../tests/fixtures/models/", import.meta.url);

async function fixtureConfig(model: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(new URL(`${model}/config.json`, MODELS)));
}

async function loadVed(model: string): Promise<VisionEncoderDecoderConfig> {
  const text = await Deno.readTextFile(new URL(`${model}/config.json`, MODELS));
  const config = await loadModelConfig(memoryFiles(model, { "config.json": text }));
  assert.ok(config instanceof VisionEncoderDecoderConfig);
  return config;
}

Deno.test("loadModelConfig() reads the vit-gpt2 fixture with its sizes and ids", async () => {
  const c = await loadVed("vit-gpt2");
  assert.equal(c.encoder.modelType, "vit");
  assert.deepEqual(
    [c.encoder.hiddenSize, c.encoder.numHeads, c.encoder.numLayers, c.encoder.headDim],
    [32, 4, 2, 8],
  );
  assert.equal(c.encoder.intermediateSize, 37);
  assert.deepEqual([c.encoder.imageSize, c.encoder.patchSize], [[32, 32], [8, 8]]);
  assert.equal(c.encoder.layerNormEps, 1e-12);
  assert.equal(c.decoder.modelType, "gpt2");
  assert.deepEqual(
    [c.decoder.hiddenSize, c.decoder.numHeads, c.decoder.numLayers, c.decoder.headDim],
    [32, 4, 2, 8],
  );
  assert.deepEqual([c.decoder.vocabSize, c.decoder.maxPositions], [50257, 64]);
  assert.equal(c.decoder.intermediateSize, 128); // n_inner null -> 4 * n_embd
  assert.equal(c.decoder.activation, "gelu_new");
  assert.ok(c.decoder.isDecoder && c.decoder.addCrossAttention && c.decoder.tieWordEmbeddings);
  assert.deepEqual(
    [c.decoderStartTokenId, c.padTokenId, c.bosTokenId, c.eosTokenIds],
    [50256, 50256, 50256, [50256]],
  );
  assert.equal(c.hasEncToDecProj, false);
  assert.equal(c.fields.tie_word_embeddings, false);
});

Deno.test("loadModelConfig() reads the trocr fixture (BEiT + TrOCR) with its sizes and ids", async () => {
  const c = await loadVed("trocr");
  assert.equal(c.encoder.modelType, "beit");
  assert.deepEqual([c.encoder.hiddenSize, c.encoder.numHeads, c.encoder.headDim], [40, 4, 10]);
  assert.equal(c.encoder.fields.use_relative_position_bias, true);
  assert.equal(c.decoder.modelType, "trocr");
  assert.deepEqual(
    [c.decoder.hiddenSize, c.decoder.numHeads, c.decoder.numLayers, c.decoder.intermediateSize],
    [32, 4, 2, 64],
  );
  assert.deepEqual([c.decoder.vocabSize, c.decoder.maxPositions], [321, 64]);
  assert.equal(c.decoder.crossAttentionHiddenSize, 40);
  assert.equal(c.decoder.layerNormEps, 1e-5);
  assert.equal(c.decoder.fields.scale_embedding, true);
  assert.equal(c.decoder.tieWordEmbeddings, false);
  assert.equal(c.hasEncToDecProj, false); // cross_attention_hidden_size set: no projection
  assert.deepEqual([c.decoderStartTokenId, c.padTokenId, c.bosTokenId, c.eosTokenIds], [
    2,
    1,
    null,
    [2],
  ]);
  assert.deepEqual([c.decoder.bosTokenId, c.decoder.padTokenId], [0, 1]);
});

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`toJSON() writes back exactly the ${model} config.json Python saved`, async () => {
    const raw = await fixtureConfig(model);
    const out = (await loadVed(model)).toJSON();
    // Python's diff dict keeps transformers_version (null there) and the commit hash; we write a
    // version and drop the hash.
    delete raw._commit_hash;
    delete raw.transformers_version;
    delete out.transformers_version;
    assert.deepEqual(out, raw);
  });
}

Deno.test("a GPT2 config from architecture values alone matches Python's full to_dict()", async () => {
  // Every field not passed here must come out equal to the fixture, i.e. to GPT2Config's default.
  const dec = (await fixtureConfig("vit-gpt2")).decoder as Record<string, unknown>;
  const built = parseModelConfig({
    model_type: "gpt2",
    n_embd: 32,
    n_head: 4,
    n_layer: 2,
    n_positions: 64,
    attn_pdrop: 0.0,
    embd_pdrop: 0.0,
    resid_pdrop: 0.0,
    is_decoder: true,
    add_cross_attention: true,
    transformers_version: "4.27.0.dev0",
  });
  assert.deepEqual(built.toJSON(), dec);
});

Deno.test("ViT, BEiT and TrOCR configs from architecture values match Python's to_dict()", async () => {
  const vg = await fixtureConfig("vit-gpt2");
  const tr = await fixtureConfig("trocr");
  const v = "4.27.0.dev0";
  const vit = parseModelConfig({
    model_type: "vit",
    hidden_size: 32,
    intermediate_size: 37,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    image_size: 32,
    patch_size: 8,
    transformers_version: v,
  });
  assert.deepEqual(vit.toJSON(), vg.encoder);
  const beit = parseModelConfig({
    model_type: "beit",
    hidden_size: 40,
    intermediate_size: 37,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    image_size: 32,
    patch_size: 8,
    use_absolute_position_embeddings: true,
    use_relative_position_bias: true,
    use_mean_pooling: false,
    transformers_version: v,
  });
  assert.deepEqual(beit.toJSON(), tr.encoder);
  const trocr = parseModelConfig({
    model_type: "trocr",
    vocab_size: 321,
    d_model: 32,
    decoder_attention_heads: 4,
    decoder_ffn_dim: 64,
    decoder_layers: 2,
    max_position_embeddings: 64,
    dropout: 0.0,
    cross_attention_hidden_size: 40,
    scale_embedding: true,
    is_decoder: true,
    add_cross_attention: true,
    tie_word_embeddings: false,
    transformers_version: v,
  });
  assert.deepEqual(trocr.toJSON(), tr.decoder);
});

Deno.test("fromEncoderDecoderConfigs() sets is_decoder and add_cross_attention, and round-trips", () => {
  const enc = parseModelConfig({ model_type: "vit", hidden_size: 64, num_attention_heads: 4 });
  const dec = parseModelConfig({ model_type: "bert", hidden_size: 32, num_attention_heads: 2 });
  assert.equal(dec.isDecoder, false);
  const ved = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(enc, dec, {
    decoder_start_token_id: 101,
    pad_token_id: 0,
  });
  assert.ok(ved.decoder.isDecoder && ved.decoder.addCrossAttention);
  assert.equal(dec.isDecoder, false, "the input config is not mutated");
  assert.equal(ved.hasEncToDecProj, true); // 64 != 32 and no cross_attention_hidden_size
  const json = ved.toJSON();
  assert.equal(json.model_type, "vision-encoder-decoder");
  assert.equal(json.is_encoder_decoder, true);
  assert.equal((json.encoder as Record<string, unknown>).model_type, "vit");
  assert.equal((json.decoder as Record<string, unknown>).model_type, "bert");
  assert.equal((json.decoder as Record<string, unknown>).is_decoder, true);
  assert.equal(json.decoder_start_token_id, 101);
  const back = parseConfig(JSON.parse(JSON.stringify(json)));
  assert.ok(back instanceof VisionEncoderDecoderConfig);
  assert.deepEqual(back.toJSON(), json);
});

Deno.test("an unknown encoder or decoder model_type is refused, naming it and the supported ones", () => {
  const ok = { model_type: "vit" };
  assert.throws(
    () => VisionEncoderDecoderConfig.fromDict({ encoder: { model_type: "resnet" }, decoder: ok }),
    (e: unknown) =>
      e instanceof UnsupportedModelError && /"resnet"/.test(e.message) &&
      /vit, deit, beit, swin, donut-swin/.test(e.message),
  );
  assert.throws(
    () => VisionEncoderDecoderConfig.fromDict({ encoder: ok, decoder: { model_type: "vit" } }),
    (e: unknown) => e instanceof UnsupportedModelError && /gpt2, bert, roberta/.test(e.message),
  );
  assert.throws(
    () => parseConfig({ model_type: "llama" }),
    (e: unknown) =>
      e instanceof UnsupportedModelError && /"llama"/.test(e.message) &&
      /vision-encoder-decoder/.test(e.message),
  );
});

Deno.test("a string where a number belongs is a ModelLoadError naming the field", () => {
  assert.throws(
    () =>
      VisionEncoderDecoderConfig.fromDict(
        { encoder: { model_type: "vit" }, decoder: { model_type: "gpt2", n_embd: "32" } },
        "config.json of ./m",
      ),
    (e: unknown) =>
      e instanceof ModelLoadError && /config\.json of \.\/m decoder/.test(e.message) &&
      /"n_embd" must be an integer, found the string "32"/.test(e.message),
  );
  assert.throws(
    () => parseConfig({ model_type: "vision-encoder-decoder", encoder: { model_type: "vit" } }),
    ModelLoadError,
  );
  assert.throws(
    () => parseModelConfig({ model_type: "gpt2", n_embd: 30, n_head: 4 }),
    /not a multiple/,
  );
});

Deno.test("attribute_map aliases set the real field, as Python's __setattr__ does", () => {
  const c = parseModelConfig({ model_type: "gpt2", hidden_size: 64, num_attention_heads: 8 });
  assert.ok(isFamily(c, GPT2_FAMILY));
  assert.equal(c.fields.n_embd, 64);
  assert.equal(c.get("hidden_size"), 64);
  assert.equal(c.get("max_position_embeddings"), 1024);
  assert.equal(c.headDim, 8);
  assert.equal("hidden_size" in c.toJSON(), false);
  const t = parseModelConfig({ model_type: "trocr", hidden_size: 256, num_hidden_layers: 3 });
  assert.deepEqual([t.fields.d_model, t.fields.decoder_layers], [256, 3]);
});

Deno.test("a cross_attention_hidden_size that differs from the encoder's width is refused", () => {
  assert.throws(
    () =>
      VisionEncoderDecoderConfig.fromDict({
        encoder: { model_type: "vit", hidden_size: 48, num_attention_heads: 4 },
        decoder: { model_type: "trocr", cross_attention_hidden_size: 40 },
      }),
    /cross_attention_hidden_size is 40 but the encoder's hidden size is 48/,
  );
});
