import assert from "node:assert/strict";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { memoryFiles, type ModelFiles } from "../hub/model_files.ts";
import { readSafetensors, writeSafetensors } from "../weights/safetensors.ts";
import type { WeightMap } from "../weights/weight_map.ts";
import { toFloat32, type WeightTensor } from "../weights/weight_tensor.ts";
import { buildDecoderGraphs, visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { initWeights } from "../families/init_weights.ts";
import { joinPretrained } from "./join_pretrained.ts";
import { checkWeightSpecs } from "../families/shared/weight_specs.ts";

const MODELS = new URL("../../tests/fixtures/models/", import.meta.url);

/** A fixture folder as ModelFiles (config.json and model.safetensors only). */
async function fixtureFiles(name: string): Promise<ModelFiles> {
  return memoryFiles(name, {
    "config.json": await Deno.readTextFile(new URL(`${name}/config.json`, MODELS)),
    "model.safetensors": await Deno.readFile(new URL(`${name}/model.safetensors`, MODELS)),
  });
}

async function fixture(
  name: string,
): Promise<{ config: Record<string, unknown>; weights: WeightMap }> {
  const config = JSON.parse(await Deno.readTextFile(new URL(`${name}/config.json`, MODELS)));
  const bytes = await Deno.readFile(new URL(`${name}/model.safetensors`, MODELS));
  return { config, weights: readSafetensors(bytes).tensors };
}

/** A standalone folder holding one half of a fixture, renamed by `rename` (undefined: dropped). */
function standalone(
  id: string,
  config: unknown,
  weights: WeightMap,
  rename: (name: string) => string | undefined,
): ModelFiles {
  const map = new Map<string, WeightTensor>();
  for (const [name, t] of weights) {
    const n = rename(name);
    if (n !== undefined) map.set(n, t);
  }
  return memoryFiles(id, {
    "config.json": JSON.stringify(config),
    "model.safetensors": writeSafetensors(map, { format: "pt" }),
  });
}

function sameBytes(a: WeightTensor, b: WeightTensor): boolean {
  return a.dtype === b.dtype && a.data.length === b.data.length &&
    a.data.every((x, i) => x === b.data[i]);
}

Deno.test("joinPretrained() joins trocr's BEiT encoder with vit-gpt2's GPT2 decoder; only enc_to_dec_proj is new", async () => {
  const trocr = await fixture("trocr"), vitGpt2 = await fixture("vit-gpt2");
  const joined = await joinPretrained(
    { files: await fixtureFiles("trocr") },
    { files: await fixtureFiles("vit-gpt2") },
    { seed: 3 },
  );
  const c = joined.config;
  assert.equal(c.encoder.modelType, "beit");
  assert.equal(c.encoder.hiddenSize, 40);
  assert.equal(c.decoder.modelType, "gpt2");
  assert.equal(c.decoder.hiddenSize, 32);
  assert.ok(c.decoder.isDecoder && c.decoder.addCrossAttention && c.hasEncToDecProj);
  assert.equal(c.fields.tie_word_embeddings, false);
  assert.deepEqual(joined.newWeights, ["enc_to_dec_proj.weight", "enc_to_dec_proj.bias"]);
  assert.match(
    joined.warning!,
    /^Some weights of VisionEncoderDecoderModel were not initialized from the model checkpoints at trocr and vit-gpt2 and are newly initialized: \['enc_to_dec_proj\.weight', 'enc_to_dec_proj\.bias'\]\nYou should probably TRAIN/,
  );
  const specs = visionEncoderDecoderWeightSpecs(c);
  checkWeightSpecs(specs, joined.weights);
  for (const s of specs) {
    const t = joined.weights.get(s.name);
    if (s.name.startsWith("enc_to_dec_proj.")) {
      assert.deepEqual(t!.shape, s.name.endsWith("weight") ? [32, 40] : [32]);
      const v = toFloat32(t!);
      assert.ok(v.every((x) => Math.abs(x) <= 1 / Math.sqrt(40)) && v.some((x) => x !== 0));
      continue;
    }
    const source = s.name.startsWith("encoder.") ? trocr.weights : vitGpt2.weights;
    const src = source.get(s.name) ?? source.get(s.tiedTo ?? "");
    assert.ok(src && t && sameBytes(t, src), `${s.name} is its source's tensor`);
  }
  assert.equal(
    joined.weights.get("decoder.lm_head.weight"),
    joined.weights.get("decoder.transformer.wte.weight"),
  );
  // The joined weights build vedge's graphs.
  const graphs = buildDecoderGraphs(c, joined.weights);
  assert.ok(graphs.crossKv.toBytes().length > 0);
});

Deno.test("joinPretrained() refuses vit-gpt2's ViT encoder with trocr's decoder: cross_attention_hidden_size 40 vs 32", async () => {
  await assert.rejects(
    joinPretrained(
      { files: await fixtureFiles("vit-gpt2") },
      { files: await fixtureFiles("trocr") },
      { seed: 0 },
    ),
    (e: Error) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /encoder vit-gpt2 \(vit, hidden size 32\) with decoder trocr/);
      assert.match(e.message, /cross_attention_hidden_size is 40, and it must equal/);
      return true;
    },
  );
});

/** vit-gpt2's decoder half as a plain GPT2 folder: no cross-attention, GPT2LMHeadModel names. */
async function gpt2Folder(
  id: string,
  keep: (name: string) => string | undefined,
): Promise<{ files: ModelFiles; source: WeightMap }> {
  const fx = await fixture("vit-gpt2");
  const config = {
    ...(fx.config.decoder as Record<string, unknown>),
    add_cross_attention: false,
    is_decoder: false,
  };
  const cross = /\.(crossattention|ln_cross_attn)\./;
  const rename = (n: string): string | undefined =>
    n.startsWith("decoder.") && !cross.test(n) ? keep(n.slice("decoder.".length)) : undefined;
  return { files: standalone(id, config, fx.weights, rename), source: fx.weights };
}

for (const layout of ["GPT2LMHeadModel", "GPT2Model"] as const) {
  Deno.test(`joinPretrained() adds and lists cross-attention for a plain GPT2 folder (${layout} names)`, async () => {
    const strip = layout === "GPT2Model";
    const { files, source } = await gpt2Folder(
      "gpt2-plain",
      (n) => strip ? n.slice("transformer.".length) : n,
    );
    const joined = await joinPretrained(
      { files: await fixtureFiles("vit-gpt2") },
      { files },
      { seed: 11 },
    );
    const c = joined.config;
    assert.ok(c.decoder.isDecoder && c.decoder.addCrossAttention && !c.hasEncToDecProj);
    const specs = visionEncoderDecoderWeightSpecs(c);
    const crossNames = specs
      .filter((s) => /\.(crossattention|ln_cross_attn)\./.test(s.name) && !s.optional)
      .map((s) => s.name);
    assert.equal(crossNames.length, 16); // 2 layers x (c_attn, q_attn, c_proj, ln) x (weight, bias)
    assert.deepEqual(joined.newWeights, crossNames);
    const warning = joined.warning!;
    assert.match(
      warning,
      /^Initializing gpt2-plain as a decoder model\. Cross attention layers are added to gpt2-plain/,
    );
    const shown = crossNames.map((n) => n.slice(strip ? "decoder.transformer.".length : 8));
    assert.ok(
      warning.includes(
        "Some weights of GPT2LMHeadModel were not initialized from the model checkpoint at " +
          `gpt2-plain and are newly initialized: ['${shown.join("', '")}']`,
      ),
      warning,
    );
    checkWeightSpecs(specs, joined.weights);
    // New weights are what a random model of this config and seed holds (one stream per name);
    // the others are the checkpoint's bytes.
    const random = initWeights(c, { seed: 11 });
    for (const s of specs) {
      const t = joined.weights.get(s.name);
      if (crossNames.includes(s.name)) assert.ok(sameBytes(t!, random.get(s.name)!), s.name);
      else if (t) assert.ok(sameBytes(t, source.get(s.tiedTo ?? s.name)!), s.name);
      else assert.ok(s.optional, `${s.name} absent`); // the cross-attention masks: computed
    }
    const q = toFloat32(
      joined.weights.get("decoder.transformer.h.1.crossattention.c_proj.weight")!,
    );
    const std = Math.sqrt(q.reduce((a, x) => a + x * x, 0) / q.length);
    assert.ok(Math.abs(std - 0.01) < 0.001, `c_proj std ${std}`); // 0.02 / sqrt(2 * n_layer)
  });
}

Deno.test("joinPretrained() refuses a GPT2Model-named checkpoint that also holds lm_head.weight", async () => {
  const { files } = await gpt2Folder(
    "gpt2-mixed",
    (n) =>
      n.startsWith("transformer.")
        ? n.slice("transformer.".length)
        : n === "lm_head.weight"
        ? n
        : undefined,
  );
  // Put an lm_head in: the fixture's safetensors dropped it (tied), so copy wte under that name.
  const fx = await fixture("vit-gpt2");
  const map = readSafetensors(await files.read("model.safetensors")).tensors;
  map.set("lm_head.weight", fx.weights.get("decoder.transformer.wte.weight")!);
  const broken = memoryFiles("gpt2-mixed", {
    "config.json": new TextDecoder().decode(await files.read("config.json")),
    "model.safetensors": writeSafetensors(map, { format: "pt" }),
  });
  await assert.rejects(
    joinPretrained({ files: await fixtureFiles("vit-gpt2") }, { files: broken }, { seed: 0 }),
    /gpt2-mixed as a GPT2LMHeadModel: .*no "transformer\." prefix.*lm_head\.weight.*corrupted/s,
  );
});

Deno.test("joinPretrained() reads a BEiT folder named with beit. and reports the tensors it did not use", async () => {
  const fx = await fixture("trocr");
  // BeitForMaskedImageModeling-style names: the base model under "beit.", plus a head.
  const files = standalone(
    "beit-mim",
    fx.config.encoder,
    fx.weights,
    (n) => n.startsWith("encoder.") ? `beit.${n.slice("encoder.".length)}` : undefined,
  );
  const map = readSafetensors(await files.read("model.safetensors")).tensors;
  map.set("lm_head.bias", fx.weights.get("encoder.layernorm.bias")!);
  const withHead = memoryFiles("beit-mim", {
    "config.json": JSON.stringify(fx.config.encoder),
    "model.safetensors": writeSafetensors(map, { format: "pt" }),
  });
  const joined = await joinPretrained({ files: withHead }, {
    files: await fixtureFiles("vit-gpt2"),
  }, { seed: 0 });
  assert.deepEqual(joined.newWeights, ["enc_to_dec_proj.weight", "enc_to_dec_proj.bias"]);
  assert.match(
    joined.warning!,
    /Some weights of the model checkpoint at beit-mim were not used when initializing BeitModel: \['lm_head\.bias'\]\n- This IS expected/,
  );
  for (const [name, t] of joined.weights) {
    if (name.startsWith("encoder.")) assert.ok(sameBytes(t, fx.weights.get(name)!), name);
  }
});

Deno.test("joinPretrained() refuses the wrong roles and mis-shaped tensors, naming the source", async () => {
  const { files: gpt2 } = await gpt2Folder("gpt2-plain", (n) => n);
  await assert.rejects(
    joinPretrained({ files: gpt2 }, { files: gpt2 }, { seed: 0 }),
    (e: Error) =>
      e instanceof UnsupportedModelError &&
      /Cannot use gpt2-plain as the encoder .*"gpt2" is a text decoder/.test(e.message),
  );
  const fx = await fixture("vit-gpt2");
  const map = new Map(fx.weights);
  const wpe = map.get("decoder.transformer.wpe.weight")!;
  map.set("decoder.transformer.wpe.weight", { ...wpe, shape: [32, 64] });
  const bad = memoryFiles("bad", {
    "config.json": JSON.stringify(fx.config),
    "model.safetensors": writeSafetensors(map, { format: "pt" }),
  });
  await assert.rejects(
    joinPretrained({ files: await fixtureFiles("vit-gpt2") }, { files: bad }, { seed: 0 }),
    /bad as the decoder \(GPT2LMHeadModel\): 1 tensor\(s\) have the wrong shape:\n {2}decoder\.transformer\.wpe\.weight: found \[32, 64\] in the checkpoint, the model needs \[64, 32\]/,
  );
});

Deno.test("joinPretrained() of vit-gpt2's own halves as standalone folders rebuilds the fixture exactly", async () => {
  const fx = await fixture("vit-gpt2");
  const half = (prefix: string) => (n: string): string | undefined =>
    n.startsWith(prefix) ? n.slice(prefix.length) : undefined;
  const enc = standalone("vit", fx.config.encoder, fx.weights, half("encoder."));
  const dec = standalone("gpt2", fx.config.decoder, fx.weights, half("decoder."));
  const joined = await joinPretrained({ files: enc }, { files: dec }, { seed: 0 });
  assert.deepEqual(joined.newWeights, []);
  assert.equal(joined.warning, null);
  for (const [name, t] of fx.weights) assert.ok(sameBytes(joined.weights.get(name)!, t), name);
  assert.equal(joined.weights.size, fx.weights.size + 1); // + lm_head.weight, tied to wte
  const want = { ...fx.config } as Record<string, Record<string, unknown>>;
  const got = joined.config.toJSON() as Record<string, Record<string, unknown>>;
  for (const part of ["encoder", "decoder"]) {
    const { _name_or_path: _, transformers_version: _v, ...rest } = got[part];
    const { _name_or_path: _w, transformers_version: _wv, ...wantRest } = want[part];
    assert.deepEqual(rest, wantRest, part);
  }
});
