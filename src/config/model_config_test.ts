import assert from "node:assert/strict";
import { parseModelConfig } from "./config_registry.ts";

// Expected values are read off transformers v4.27's configuration_*.py `__init__` defaults
// (the classes' own arguments and what they pass to PretrainedConfig.__init__).

Deno.test("Swin defaults match SwinConfig: derived hidden_size 768 and the last stage's 24 heads", () => {
  const c = parseModelConfig({ model_type: "swin" });
  assert.deepEqual(c.fields.depths, [2, 2, 6, 2]);
  assert.deepEqual(c.fields.num_heads, [3, 6, 12, 24]);
  assert.deepEqual([c.fields.window_size, c.fields.encoder_stride], [7, 32]);
  assert.deepEqual([c.hiddenSize, c.numHeads, c.numLayers, c.headDim], [768, 24, 4, 32]);
  assert.deepEqual([c.patchSize, c.layerNormEps, c.intermediateSize], [[4, 4], 1e-5, 3072]);
  const big = parseModelConfig({ model_type: "swin", embed_dim: 128, num_heads: [4, 8, 16, 32] });
  assert.deepEqual([big.hiddenSize, big.headDim, big.fields.num_layers], [1024, 32, 4]);
  assert.deepEqual(big.fields.stage_names, ["stem", "stage1", "stage2", "stage3", "stage4"]);
});

Deno.test("Donut Swin takes image_size pairs and stores patch_norm as path_norm like Python", () => {
  const c = parseModelConfig({
    model_type: "donut-swin",
    image_size: [2560, 1920],
    depths: [2, 2, 14, 2],
    embed_dim: 128,
    num_heads: [4, 8, 16, 32],
    window_size: 10,
    patch_norm: false,
  });
  assert.deepEqual(c.imageSize, [2560, 1920]);
  assert.equal(c.hiddenSize, 1024);
  assert.equal(c.fields.path_norm, false);
  assert.equal("patch_norm" in c.toJSON(), false);
  const d = parseModelConfig({ model_type: "donut-swin" });
  assert.deepEqual([d.fields.path_norm, d.layerNormEps, d.fields.mlp_ratio], [true, 1e-5, 4.0]);
});

Deno.test("DeiT defaults equal ViTConfig's", () => {
  const c = parseModelConfig({ model_type: "deit" });
  assert.deepEqual([c.hiddenSize, c.numHeads, c.numLayers, c.intermediateSize], [
    768,
    12,
    12,
    3072,
  ]);
  assert.deepEqual([c.imageSize, c.patchSize, c.numChannels], [[224, 224], [16, 16], 3]);
  assert.deepEqual([c.fields.qkv_bias, c.fields.encoder_stride, c.layerNormEps], [true, 16, 1e-12]);
});

Deno.test("BERT and RoBERTa defaults match BertConfig and RobertaConfig", () => {
  const b = parseModelConfig({ model_type: "bert" });
  assert.deepEqual([b.vocabSize, b.maxPositions, b.padTokenId, b.bosTokenId], [
    30522,
    512,
    0,
    null,
  ]);
  assert.deepEqual([b.fields.type_vocab_size, b.fields.hidden_dropout_prob], [2, 0.1]);
  assert.equal(b.fields.position_embedding_type, "absolute");
  assert.equal(b.isDecoder, false);
  const r = parseModelConfig({ model_type: "roberta", max_position_embeddings: 514 });
  assert.deepEqual([r.vocabSize, r.padTokenId, r.bosTokenId, r.eosTokenIds], [50265, 1, 0, [2]]);
  assert.equal(r.maxPositions, 512); // positions start after padding_idx 1
});

Deno.test("BART and MBart defaults match BartConfig and MBartConfig, normalised to the decoder", () => {
  const b = parseModelConfig({ model_type: "bart", decoder_layers: 6, decoder_attention_heads: 8 });
  assert.deepEqual([b.hiddenSize, b.numHeads, b.numLayers, b.intermediateSize], [1024, 8, 6, 4096]);
  assert.deepEqual([b.decoderStartTokenId, b.fields.forced_eos_token_id], [2, 2]);
  assert.deepEqual([b.fields.is_encoder_decoder, b.fields.num_hidden_layers], [true, 12]);
  assert.equal(Object.keys(b.fields.id2label as object).length, 3); // num_labels=3
  assert.equal(b.get("num_attention_heads"), 16); // attribute_map: encoder_attention_heads
  const m = parseModelConfig({ model_type: "mbart" });
  assert.deepEqual([m.vocabSize, m.maxPositions, m.decoderStartTokenId], [50265, 1024, null]);
  assert.deepEqual([m.padTokenId, m.bosTokenId, m.eosTokenIds], [1, 0, [2]]);
  assert.equal(Object.keys(m.fields.id2label as object).length, 2);
});

Deno.test("GPT2 and TrOCR defaults match GPT2Config and TrOCRConfig", () => {
  const g = parseModelConfig({ model_type: "gpt2" });
  assert.deepEqual([g.hiddenSize, g.numHeads, g.numLayers, g.vocabSize], [768, 12, 12, 50257]);
  assert.deepEqual([g.bosTokenId, g.eosTokenIds, g.padTokenId], [50256, [50256], null]);
  assert.deepEqual([g.layerNormEps, g.fields.resid_pdrop], [1e-5, 0.1]);
  const t = parseModelConfig({ model_type: "trocr" });
  assert.deepEqual([t.hiddenSize, t.numHeads, t.numLayers, t.vocabSize], [1024, 16, 12, 50265]);
  assert.deepEqual([t.decoderStartTokenId, t.padTokenId, t.bosTokenId], [2, 1, 0]);
  assert.deepEqual([t.fields.use_cache, t.fields.layernorm_embedding], [true, true]);
  assert.equal(t.fields.scale_embedding, false);
});
