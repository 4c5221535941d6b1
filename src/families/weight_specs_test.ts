import assert from "node:assert/strict";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { ModelLoadError } from "../errors.ts";
import { visionEncoderDecoderWeightSpecs } from "./model_graphs.ts";
import { loadFixture } from "../../tests/support/golden_fixtures.ts";
import { checkWeightSpecs, specProblems } from "./shared/weight_specs.ts";

// The fixture checkpoints were saved by transformers v4.27 (tests/fixtures/ORACLE.md): their
// tensor names and shapes are the truth the specs must list exactly.
for (const name of ["vit-gpt2", "trocr"]) {
  Deno.test(`weightSpecs() of ${name} list exactly the fixture checkpoint's tensors and shapes`, async () => {
    const fx = await loadFixture(name);
    const specs = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(fx.config));
    assert.deepEqual(specProblems(specs, fx.weights), []);
    // Every spec is either in the checkpoint or documented as optional / tied.
    const absent = specs.filter((s) => !fx.weights.has(s.name));
    for (const s of absent) assert.ok(s.optional || s.tiedTo, `${s.name} absent but required`);
    // Buffers carry their dtype: the fixtures hold them, so compare dtypes too.
    for (const s of specs) {
      const t = fx.weights.get(s.name);
      if (t) assert.equal(t.dtype, s.dtype, s.name);
    }
    if (name === "vit-gpt2") {
      assert.deepEqual(absent.map((s) => [s.name, s.tiedTo]), [[
        "decoder.lm_head.weight",
        "decoder.transformer.wte.weight",
      ]]);
    } else {
      assert.deepEqual(absent, []);
    }
  });
}

Deno.test("weightSpecs() buffers compute what the v4.27 checkpoints hold", async () => {
  const fx = await loadFixture("trocr");
  const specs = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(fx.config));
  const name =
    "encoder.encoder.layer.1.attention.attention.relative_position_bias.relative_position_index";
  const spec = specs.find((s) => s.name === name)!;
  assert.equal(spec.init.kind, "buffer");
  const t = fx.weights.get(name)!;
  const want = new BigInt64Array(t.data.slice().buffer);
  if (spec.init.kind === "buffer") assert.deepEqual(spec.init.compute(), want);
  const g = await loadFixture("vit-gpt2");
  const gs = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(g.config));
  const mask = gs.find((s) => s.name === "decoder.transformer.h.0.attn.bias")!;
  if (mask.init.kind === "buffer") {
    assert.deepEqual(mask.init.compute(), g.weights.get(mask.name)!.data);
  } else assert.fail("attn.bias is a buffer");
});

Deno.test("weightSpecs() record v4.27's inits: trunc_normal ViT, normal BEiT, scaled GPT2 c_proj, padded embeddings", async () => {
  const g = await loadFixture("vit-gpt2");
  const gs = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(g.config));
  const init = (n: string) => gs.find((s) => s.name === n)!.init;
  assert.deepEqual(init("encoder.embeddings.cls_token"), {
    kind: "trunc_normal",
    std: 0.02,
    a: -2,
    b: 2,
  });
  const layers = g.config.decoder.n_layer as number;
  assert.deepEqual(init("decoder.transformer.h.0.mlp.c_proj.weight"), {
    kind: "normal",
    std: 0.02 / Math.sqrt(2 * layers),
  });
  assert.deepEqual(init("decoder.transformer.h.0.mlp.c_fc.weight"), { kind: "normal", std: 0.02 });
  const t = await loadFixture("trocr");
  const ts = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(t.config));
  const tinit = (n: string) => ts.find((s) => s.name === n)!.init;
  assert.deepEqual(tinit("encoder.embeddings.cls_token"), { kind: "zeros" });
  assert.deepEqual(tinit("encoder.encoder.layer.0.lambda_1"), {
    kind: "constant",
    value: t.config.encoder.layer_scale_init_value,
  });
  assert.deepEqual(tinit("decoder.model.decoder.embed_tokens.weight"), {
    kind: "embedding",
    std: 0.02,
    paddingIdx: 1,
  });
});

Deno.test("checkWeightSpecs() names every missing, unexpected and mis-shaped tensor in one error", async () => {
  const fx = await loadFixture("trocr");
  const specs = visionEncoderDecoderWeightSpecs(VisionEncoderDecoderConfig.fromDict(fx.config));
  const map = new Map(fx.weights);
  map.delete("decoder.model.decoder.layers.1.fc1.bias");
  map.set("decoder.extra", map.get("decoder.model.decoder.layers.0.fc1.bias")!);
  map.set("encoder.layernorm.bias", map.get("decoder.model.decoder.layers.0.fc1.bias")!);
  map.delete(
    "encoder.encoder.layer.0.attention.attention.relative_position_bias.relative_position_index",
  );
  assert.throws(() => checkWeightSpecs(specs, map, "broken"), (e: Error) => {
    assert.ok(e instanceof ModelLoadError);
    assert.match(e.message, /3 problem/);
    assert.match(e.message, /missing: decoder\.model\.decoder\.layers\.1\.fc1\.bias \[64\]/);
    assert.match(e.message, /unexpected: decoder\.extra/);
    assert.match(e.message, /encoder\.layernorm\.bias: expected \[40\], found \[64\]/);
    return true;
  });
});
