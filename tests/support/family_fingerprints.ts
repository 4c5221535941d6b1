/**
 * Refactoring guard for the model families (a script, not a test): for every encoder x decoder
 * family pair (and a few variants) built from small fixture configs, prints the sha256 (first 16
 * hex digits) of the weight spec list, of model.safetensors as `fromConfig(config, {seed: 5})` +
 * `savePretrained` writes it (initWeights), of bench/make_model.ts's `randomWeights(config, 42)`,
 * of the three graphs vedge builds, of every Optimum export file and of config.json. Run it before
 * and after a change to the family layer and compare: everything must be byte-identical unless
 * the change means to alter a model.
 *
 * `deno run -A tests/support/family_fingerprints.ts > fingerprints.json`
 * @module
 */
import { parseModelConfig } from "../../src/config/config_registry.ts";
import { VisionEncoderDecoderConfig } from "../../src/config/vision_encoder_decoder_config.ts";
import { initWeights } from "../../src/families/init_weights.ts";
import {
  buildDecoderGraphs,
  visionEncoderDecoderWeightSpecs,
} from "../../src/families/model_graphs.ts";
import type { WeightSpec } from "../../src/families/shared/weight_specs.ts";
import { safetensorsChunks } from "../../src/export/file_chunks.ts";
import { optimumExport } from "../../src/export/optimum_export.ts";
import { savedConfigJson } from "../../src/export/save_pretrained.ts";
import { randomWeights } from "../../bench/make_model.ts";

const root = new URL("../../", import.meta.url).pathname;
const fam = (n: string) =>
  JSON.parse(Deno.readTextFileSync(`${root}tests/fixtures/families/${n}.json`)).config;
const model = (n: string) =>
  JSON.parse(Deno.readTextFileSync(`${root}tests/fixtures/models/${n}/config.json`));
const vg = model("vit-gpt2"), tr = model("trocr");
const encoders: Record<string, Record<string, unknown>> = {
  vit: vg.encoder,
  deit: fam("deit"),
  beit: tr.encoder,
  swin: fam("swin"),
  "donut-swin": { ...fam("swin"), model_type: "donut-swin" },
  "swin-2": { ...fam("swin"), depths: [2, 2], num_heads: [2, 4] },
};
const decoders: Record<string, Record<string, unknown>> = {
  gpt2: vg.decoder,
  "gpt2-untied": {
    ...vg.decoder,
    tie_word_embeddings: false,
    scale_attn_by_inverse_layer_idx: true,
    vocab_size: 300,
  },
  bert: fam("bert"),
  roberta: fam("roberta"),
  trocr: tr.decoder,
  "trocr-sin": {
    ...tr.decoder,
    cross_attention_hidden_size: null,
    use_learned_position_embeddings: false,
    layernorm_embedding: false,
  },
  bart: fam("bart"),
  mbart: fam("mbart"),
};
const hex = async (chunks: Uint8Array[]) => {
  const n = chunks.reduce((a, c) => a + c.byteLength, 0);
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  const d = await crypto.subtle.digest("SHA-256", all);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("").slice(
    0,
    16,
  );
};
const te = new TextEncoder();
const out: Record<string, unknown> = {};
for (const [en, ec] of Object.entries(encoders)) {
  for (const [dn, dc] of Object.entries(decoders)) {
    const key = `${en}+${dn}`;
    try {
      const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
        parseModelConfig(ec),
        parseModelConfig(dc),
        { decoder_start_token_id: 2, pad_token_id: 1 },
      );
      const specs = visionEncoderDecoderWeightSpecs(config);
      const specText = JSON.stringify(
        specs.map((
          s: WeightSpec,
        ) => [
          s.name,
          s.shape,
          s.dtype,
          s.tiedTo ?? null,
          s.optional ?? false,
          s.init.kind === "buffer" ? Array.from(s.init.compute(), String) : s.init,
        ]),
      );
      const w = initWeights(config, { seed: 5 });
      const rw = randomWeights(config, 42);
      const g = buildDecoderGraphs(config, w, { source: "fp" });
      const ex = optimumExport(config, w, { decoder: "both", source: "fp" });
      const exHashes: Record<string, string> = {};
      for (const f of ex.files) exHashes[f.path] = await hex(f.chunks());
      out[key] = {
        specs: await hex([te.encode(specText)]),
        nspecs: specs.length,
        init: await hex(safetensorsChunks(w, { format: "pt" })),
        random: await hex(safetensorsChunks(rw, { format: "pt" })),
        encoder: await hex([g.encoder.toBytes()]),
        crossKv: await hex([g.crossKv.toBytes()]),
        step: await hex([g.decoderStep.toBytes()]),
        export: exHashes,
        config: await hex([te.encode(JSON.stringify(savedConfigJson(config, w)))]),
      };
    } catch (e) {
      out[key] = { error: String(e).slice(0, 300) };
    }
  }
}
console.log(JSON.stringify(out, null, 1));
