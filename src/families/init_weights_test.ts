import assert from "node:assert/strict";
import { parseModelConfig } from "../config/config_registry.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { toFloat32, type WeightTensor } from "../weights/weight_tensor.ts";
import { visionEncoderDecoderWeightSpecs } from "./model_graphs.ts";
import { initTensor, initWeights } from "./init_weights.ts";
import { checkWeightSpecs, type WeightInit, type WeightSpec } from "./shared/weight_specs.ts";

const FIXTURES = new URL("../../tests/fixtures/models/", import.meta.url);

async function fixtureConfig(name: string): Promise<VisionEncoderDecoderConfig> {
  const text = await Deno.readTextFile(new URL(`${name}/config.json`, FIXTURES));
  return VisionEncoderDecoderConfig.fromDict(JSON.parse(text));
}

// Python's defaults (768-wide, 12 layers) shrunk to test sizes; the decoder is narrower than the
// encoder, so the model also gets enc_to_dec_proj.
const TINY_BERT = {
  model_type: "bert",
  vocab_size: 99,
  hidden_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 40,
  max_position_embeddings: 64,
};
const TINY_VIT = {
  model_type: "vit",
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 37,
  image_size: 32,
  patch_size: 8,
};
const TINY_SWIN = {
  model_type: "swin",
  image_size: 32,
  patch_size: 4,
  embed_dim: 8,
  depths: [1, 1],
  num_heads: [2, 2],
  window_size: 4,
};

function joined(encoder: Record<string, unknown>): VisionEncoderDecoderConfig {
  return VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
    parseModelConfig(encoder),
    parseModelConfig(TINY_BERT),
  );
}

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (const x of v) (s += x, min = Math.min(min, x), max = Math.max(max, x));
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

/** Checks one tensor's values against its init; returns false when too small to judge. */
function assertFollows(name: string, t: WeightTensor, init: WeightInit): void {
  const v = toFloat32(t);
  const n = v.length;
  const st = stats(v);
  // Tolerances of about 5 standard errors: a right init passes, a wrong std (x0.5, x2, or the
  // std of another init kind) fails for tensors of a few hundred values already.
  const stdTol = (std: number): number => std * 5 / Math.sqrt(2 * n);
  switch (init.kind) {
    case "zeros":
    case "ones":
    case "constant": {
      const want = init.kind === "zeros" ? 0 : init.kind === "ones" ? 1 : Math.fround(init.value);
      assert.ok(v.every((x) => x === want), `${name}: all ${want}`);
      return;
    }
    case "normal":
    case "trunc_normal":
    case "embedding": {
      if (n < 256) return;
      assert.ok(Math.abs(st.mean) < 5 * init.std / Math.sqrt(n), `${name}: mean ${st.mean}`);
      // An embedding's zeroed padding row lowers the std by sqrt((rows - 1) / rows).
      const rows = t.shape[0];
      const pad = init.kind === "embedding" && init.paddingIdx !== null ? (rows - 1) / rows : 1;
      const want = init.std * Math.sqrt(pad);
      assert.ok(Math.abs(st.std - want) < stdTol(want), `${name}: std ${st.std}, want ${want}`);
      if (init.kind === "trunc_normal") assert.ok(st.min >= init.a && st.max <= init.b);
      return;
    }
    case "uniform": {
      assert.ok(st.min >= -init.bound && st.max <= init.bound, `${name}: within the bound`);
      if (n < 256) return;
      const want = init.bound / Math.sqrt(3);
      assert.ok(Math.abs(st.std - want) < 2 * stdTol(want), `${name}: std ${st.std}, want ${want}`);
      return;
    }
    case "buffer": {
      const c = init.compute();
      assert.deepEqual(t.data, new Uint8Array(c.buffer, c.byteOffset, c.byteLength), name);
      return;
    }
  }
}

function checkAll(config: VisionEncoderDecoderConfig, seed: number): Map<string, WeightTensor> {
  const specs = visionEncoderDecoderWeightSpecs(config);
  const weights = initWeights(config, { seed });
  checkWeightSpecs(specs, weights, "initWeights()");
  assert.equal(weights.size, specs.length, "every spec, optional buffers included");
  for (const s of specs) {
    const t = weights.get(s.name)!;
    assert.equal(t.dtype, s.dtype, s.name);
    if (s.tiedTo) assert.equal(t, weights.get(s.tiedTo), `${s.name} is ${s.tiedTo}`);
    assertFollows(s.name, t, s.init);
  }
  return weights;
}

for (const [label, config] of [["ViT+BERT", TINY_VIT], ["Swin+BERT", TINY_SWIN]] as const) {
  Deno.test(`initWeights() of a ${label} config passes checkWeightSpecs and follows every init`, () => {
    const c = joined(config);
    assert.ok(c.hasEncToDecProj);
    const w = checkAll(c, 7);
    assert.ok(w.has("enc_to_dec_proj.weight"));
    assert.equal(
      w.get("decoder.cls.predictions.decoder.weight"),
      w.get(
        "decoder.bert.embeddings.word_embeddings.weight",
      ),
    );
    assert.equal(
      w.get("decoder.cls.predictions.decoder.bias"),
      w.get("decoder.cls.predictions.bias"),
    );
    // BERT's pad_token_id 0: row 0 of the word embeddings is zero, row 1 is not.
    const words = toFloat32(w.get("decoder.bert.embeddings.word_embeddings.weight")!);
    assert.ok(words.subarray(0, 24).every((x) => x === 0));
    assert.ok(words.subarray(24, 48).some((x) => x !== 0));
  });
}

const TINY_DECODERS: Record<string, unknown>[] = [
  { model_type: "gpt2", n_embd: 24, n_layer: 1, n_head: 4, n_positions: 16, vocab_size: 50 },
  TINY_BERT,
  { ...TINY_BERT, model_type: "roberta" },
  ...["trocr", "bart", "mbart"].map((model_type) => ({
    model_type,
    vocab_size: 50,
    d_model: 24,
    decoder_layers: 1,
    decoder_attention_heads: 4,
    decoder_ffn_dim: 40,
    max_position_embeddings: 16,
  })),
];
const TINY_ENCODERS: Record<string, unknown>[] = [
  TINY_VIT,
  { ...TINY_VIT, model_type: "deit" },
  { ...TINY_VIT, model_type: "beit", use_relative_position_bias: true, use_mean_pooling: true },
  TINY_SWIN,
  { ...TINY_SWIN, model_type: "donut-swin" },
];

Deno.test("initWeights() fits the specs of every encoder x decoder family pair", () => {
  for (const e of TINY_ENCODERS) {
    for (const d of TINY_DECODERS) {
      const c = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
        parseModelConfig(e),
        parseModelConfig(d),
      );
      const specs = visionEncoderDecoderWeightSpecs(c);
      const w = initWeights(c, { seed: 5 });
      checkWeightSpecs(specs, w, `${e.model_type} + ${d.model_type}`);
      for (const s of specs) {
        assert.equal(w.get(s.name)!.dtype, s.dtype);
        if (s.tiedTo) assert.equal(w.get(s.name), w.get(s.tiedTo));
      }
    }
  }
});

for (const name of ["vit-gpt2", "trocr"]) {
  Deno.test(`initWeights() of the ${name} fixture config passes checkWeightSpecs and follows every init`, async () => {
    const c = await fixtureConfig(name);
    const w = checkAll(c, 1);
    if (name === "vit-gpt2") {
      assert.equal(w.get("decoder.lm_head.weight"), w.get("decoder.transformer.wte.weight"));
      // GPT2's residual projections are drawn with std 0.02 / sqrt(2 * n_layer) = 0.01.
      const s = stats(toFloat32(w.get("decoder.transformer.h.1.mlp.c_proj.weight")!));
      assert.ok(Math.abs(s.std - 0.01) < 0.0005, `c_proj std ${s.std}`);
    } else {
      const embed = toFloat32(w.get("decoder.model.decoder.embed_tokens.weight")!);
      assert.ok(embed.subarray(32, 64).every((x) => x === 0), "pad_token_id 1 row zero");
      assert.ok(embed.subarray(0, 32).some((x) => x !== 0));
      const lambda = toFloat32(w.get("encoder.encoder.layer.0.lambda_1")!);
      const want = Math.fround(c.encoder.fields.layer_scale_init_value as number);
      assert.ok(lambda.every((x) => x === want));
      assert.ok(toFloat32(w.get("encoder.embeddings.cls_token")!).every((x) => x === 0));
      assert.ok(toFloat32(w.get("encoder.layernorm.weight")!).every((x) => x === 1));
      assert.ok(toFloat32(w.get("encoder.layernorm.bias")!).every((x) => x === 0));
    }
  });
}

Deno.test("initWeights() is reproducible with one seed and differs with another", async () => {
  const c = await fixtureConfig("vit-gpt2");
  const a = initWeights(c, { seed: 42 }), b = initWeights(c, { seed: 42 });
  const other = initWeights(c, { seed: 43 });
  const random = new Set(["normal", "trunc_normal", "uniform", "embedding"]);
  for (const s of visionEncoderDecoderWeightSpecs(c)) {
    assert.deepEqual(a.get(s.name)!.data, b.get(s.name)!.data, s.name);
    const same = a.get(s.name)!.data.every((x, i) => x === other.get(s.name)!.data[i]);
    assert.equal(same, !random.has(s.init.kind), s.name);
  }
  // Each tensor has its own stream: tensors of one shape and init still differ.
  assert.notDeepEqual(
    a.get("decoder.transformer.h.0.attn.c_attn.weight")!.data,
    a.get("decoder.transformer.h.1.attn.c_attn.weight")!.data,
  );
  assert.throws(() => initWeights(c, { seed: -1 }), RangeError);
  assert.throws(() => initWeights(c, { seed: 0.5 }), RangeError);
});

const spec = (init: WeightInit, n = 200_000): WeightSpec => ({
  name: "t",
  shape: [n],
  dtype: "F32",
  init,
});

/** Normal CDF from Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7), independent of the code. */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2, t = 1 / (1 + 0.3275911 * x);
  const y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
                t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

Deno.test("initTensor() normals pass a Kolmogorov-Smirnov test against N(0, std)", () => {
  const v = toFloat32(initTensor(spec({ kind: "normal", std: 0.5 }), 3)).sort();
  let d = 0;
  for (let i = 0; i < v.length; i++) {
    const f = phi(v[i] / 0.5);
    d = Math.max(d, Math.abs(f - i / v.length), Math.abs(f - (i + 1) / v.length));
  }
  assert.ok(d < 1.63 / Math.sqrt(v.length), `KS distance ${d}`); // 1% critical value
});

Deno.test("initTensor() trunc_normal keeps torch's absolute bounds, by rejection and by inverse CDF", () => {
  // std 1, bounds +-2 (rejection): the truncated normal's std is 0.8796.
  const r = toFloat32(initTensor(spec({ kind: "trunc_normal", std: 1, a: -2, b: 2 }), 5));
  const rs = stats(r);
  assert.ok(rs.min >= -2 && rs.max <= 2 && rs.max > 1.99 && rs.min < -1.99);
  assert.ok(Math.abs(rs.std - 0.8796) < 0.005, `std ${rs.std}`);
  // std 100, bounds +-2 keep 1.6 % of the mass (inverse CDF): nearly uniform on [-2, 2].
  const w = stats(toFloat32(initTensor(spec({ kind: "trunc_normal", std: 100, a: -2, b: 2 }), 5)));
  assert.ok(w.min >= -2 && w.max <= 2 && Math.abs(w.std - 2 / Math.sqrt(3)) < 0.01, `${w.std}`);
  // Far in the upper tail, N(0, 1) on [5, 6]: mean (phi(5) - phi(6)) / (Phi(6) - Phi(5)) = 5.1865.
  const t = stats(toFloat32(initTensor(spec({ kind: "trunc_normal", std: 1, a: 5, b: 6 }), 5)));
  assert.ok(t.min >= 5 && t.max <= 6 && Math.abs(t.mean - 5.1865) < 0.005, `mean ${t.mean}`);
});

Deno.test("initTensor() uniform stays within its bound with the std of U(-b, b)", () => {
  const u = stats(toFloat32(initTensor(spec({ kind: "uniform", bound: 0.25 }), 9)));
  assert.ok(u.min >= -0.25 && u.max < 0.25 && u.max > 0.2499);
  assert.ok(Math.abs(u.std - 0.25 / Math.sqrt(3)) < 0.001);
  assert.ok(Math.abs(u.mean) < 0.002);
});

Deno.test("initTensor() refuses bad inits: negative std, padding row out of range, non-F32", () => {
  assert.throws(() => initTensor(spec({ kind: "normal", std: -1 }), 0), RangeError);
  assert.throws(
    () => initTensor({ ...spec({ kind: "embedding", std: 1, paddingIdx: 4 }), shape: [4, 2] }, 0),
    /padding_idx 4, outside its 4 rows/,
  );
  const neg = toFloat32(
    initTensor({ ...spec({ kind: "embedding", std: 1, paddingIdx: -1 }), shape: [4, 2] }, 0),
  );
  assert.deepEqual([...neg.subarray(6)], [0, 0]); // nn.Embedding counts -1 from the end
  assert.throws(() => initTensor({ ...spec({ kind: "zeros" }), dtype: "I64" }, 0), RangeError);
});
