/**
 * Real-size models with random weights for the benchmarks, written in Hub layout under
 * bench/models/<name>/ (gitignored): config.json, generation_config.json,
 * preprocessor_config.json (the real image size), the tokenizer files of the fixture with the
 * same special ids, model.safetensors (random, seeded) and onnx/ in Optimum's layout, written by
 * vedge's savePretrained from the same weights. So one folder serves vedge's own graphs
 * (`from: "safetensors"`) and the export (`from: "onnx"`) with identical weights.
 *
 * - `vit-gpt2`: nlpconnect/vit-gpt2-image-captioning's shapes: ViT-B/16 at 224 (hidden 768, 12
 *   layers, 12 heads, MLP 3072) + GPT2 124M (n_embd 768, 12 layers, 12 heads, n_positions 1024,
 *   vocabulary 50257) with cross-attention in every layer. Tokenizer: the fixture's, which is
 *   the real GPT-2 vocabulary.
 * - `trocr-small`: microsoft/trocr-small-printed's shapes: DeiT-small at 384 (hidden 384, 12
 *   layers, 6 heads, MLP 1536, patch 16: 578 tokens with CLS and distillation) + TrOCR decoder
 *   (d_model 256, 6 layers, 8 heads, FFN 1024, ReLU, learned positions 512, layernorm_embedding,
 *   scale_embedding, cross_attention_hidden_size 384) with its real vocabulary size 64044 (the
 *   XLM-R-sized output layer is a large part of a decoder step). Tokenizer: the trocr fixture's
 *   (321 tokens, same special ids 0/1/2), so texts of ids >= 321 do not decode; the benchmarks
 *   compare token ids, never texts.
 *
 * Weights: each tensor's init kind from the families' weight specs (normal / truncated normal /
 * uniform with their std or bound, ones, zeros), drawn from a seeded xorshift generator with a
 * cheap near-normal (sum of four uniforms); optional buffers are left out (Python recomputes
 * them) and tied tensors are stored once, as safetensors stores shared storage.
 *
 * `deno run -A bench/make_model.ts [--model vit-gpt2|trocr-small|all] [--onnx merged|pair|both]
 * [--seed n] [--force]` (about 1 GB and a minute for vit-gpt2; skips folders that exist unless
 * --force).
 * @module
 */
import { VisionEncoderDecoderConfig } from "../src/config/vision_encoder_decoder_config.ts";
import { folderFiles } from "../src/hub/folder_files.ts";
import type { ModelFiles } from "../src/hub/model_files.ts";
import { visionEncoderDecoderWeightSpecs } from "../src/families/model_graphs.ts";
import { savePretrained } from "../src/export/save_pretrained.ts";
import type { OptimumDecoderLayout } from "../src/export/optimum_export.ts";
import type { WeightInit, WeightSpec } from "../src/families/shared/weight_specs.ts";
import { detectPlatform } from "../src/platform/detect.ts";
import type { WeightTensor } from "../src/weights/weight_tensor.ts";
import { flag, ROOT } from "./support/fixtures.ts";

/** The real-size models this script makes. */
export type BenchModel = "vit-gpt2" | "trocr-small";

/** The models and where their tokenizer comes from. */
export const BENCH_MODELS: Readonly<Record<BenchModel, { fixture: string; imageSize: number }>> = {
  "vit-gpt2": { fixture: "vit-gpt2", imageSize: 224 },
  "trocr-small": { fixture: "trocr", imageSize: 384 },
};

/**
 * Folder of a made model.
 * @param name the model
 * @returns its URL (ends with "/")
 */
export function benchModelDir(name: BenchModel): URL {
  return new URL(`bench/models/${name}/`, ROOT);
}

type Dict = Record<string, unknown>;

/**
 * config.json of a real-size model: the fixture's config with the real dimensions.
 * @param name the model
 * @param fixture the fixture's config.json
 * @returns the new config.json dict
 */
export function realSizeConfig(name: BenchModel, fixture: Dict): Dict {
  const enc = fixture.encoder as Dict, dec = fixture.decoder as Dict;
  if (name === "vit-gpt2") {
    return {
      ...fixture,
      encoder: {
        ...enc,
        hidden_size: 768,
        num_hidden_layers: 12,
        num_attention_heads: 12,
        intermediate_size: 3072,
        image_size: 224,
        patch_size: 16,
      },
      decoder: { ...dec, n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, n_ctx: 1024 },
    };
  }
  // DeiT-small encoder (trocr-small-printed), fields as DeiTConfig names them
  const deit: Dict = {
    model_type: "deit",
    hidden_size: 384,
    num_hidden_layers: 12,
    num_attention_heads: 6,
    intermediate_size: 1536,
    hidden_act: "gelu",
    hidden_dropout_prob: 0.0,
    attention_probs_dropout_prob: 0.0,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    image_size: 384,
    patch_size: 16,
    num_channels: 3,
    qkv_bias: true,
    encoder_stride: 16,
  };
  return {
    ...fixture,
    encoder: deit,
    decoder: {
      ...dec,
      d_model: 256,
      decoder_layers: 6,
      decoder_attention_heads: 8,
      decoder_ffn_dim: 1024,
      activation_function: "relu",
      max_position_embeddings: 512,
      vocab_size: 64044,
      cross_attention_hidden_size: 384,
      layernorm_embedding: true,
      scale_embedding: true,
      use_learned_position_embeddings: true,
    },
  };
}

/** A seeded xorshift32 stream of uniforms in [0, 1). */
function uniforms(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * Fills one tensor as its init says (near-normal: sum of four uniforms, unit variance).
 * @param spec the tensor's spec
 * @param next the uniform stream
 * @returns float32 values
 */
function fill(spec: WeightSpec, next: () => number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init: WeightInit = spec.init;
  const normal = (std: number, lo = -Infinity, hi = Infinity) => {
    const k = std * Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      const v = (next() + next() + next() + next() - 2) * k;
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  };
  switch (init.kind) {
    case "normal":
      normal(init.std);
      break;
    case "trunc_normal":
      normal(init.std, init.a, init.b);
      break;
    case "embedding":
      normal(init.std);
      if (init.paddingIdx !== null) {
        const width = n / spec.shape[0];
        out.fill(0, init.paddingIdx * width, (init.paddingIdx + 1) * width);
      }
      break;
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = (2 * next() - 1) * init.bound;
      break;
    case "ones":
      out.fill(1);
      break;
    case "constant":
      out.fill(init.value);
      break;
    case "zeros":
      break;
    case "buffer":
      throw new RangeError(`${spec.name} is a buffer, not a parameter`);
  }
  return out;
}

/**
 * Random weights for every parameter of a config (tied tensors and optional buffers left out;
 * required buffers computed).
 * @param config the model config
 * @param seed the generator's seed
 * @returns the weights, F32 (buffers in their own dtype)
 */
export function randomWeights(
  config: VisionEncoderDecoderConfig,
  seed = 42,
): Map<string, WeightTensor> {
  const next = uniforms(seed);
  const weights = new Map<string, WeightTensor>();
  for (const spec of visionEncoderDecoderWeightSpecs(config)) {
    if (spec.tiedTo) continue;
    if (spec.init.kind === "buffer") {
      if (spec.optional) continue;
      const v = spec.init.compute();
      weights.set(spec.name, {
        dtype: spec.dtype,
        shape: [...spec.shape],
        data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
      });
      continue;
    }
    const v = fill(spec, next);
    weights.set(spec.name, {
      dtype: "F32",
      shape: [...spec.shape],
      data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
    });
  }
  return weights;
}

/** The fixture's files with preprocessor_config.json resized to the model's image size. */
function sourceFiles(fixture: ModelFiles, imageSize: number): ModelFiles {
  const path = "preprocessor_config.json";
  return {
    id: fixture.id,
    has: (p) => fixture.has(p),
    async read(p) {
      if (p !== path) return await fixture.read(p);
      const pre = JSON.parse(new TextDecoder().decode(await fixture.read(p)));
      pre.size = { height: imageSize, width: imageSize };
      return new TextEncoder().encode(JSON.stringify(pre, null, 2) + "\n");
    },
  };
}

/**
 * Makes one model folder.
 * @param name the model
 * @param options ONNX decoder layout, seed
 * @returns the folder's path and the number of parameters
 */
export async function makeModel(
  name: BenchModel,
  options: { onnx?: OptimumDecoderLayout; seed?: number } = {},
): Promise<{ dir: string; parameters: number }> {
  const platform = await detectPlatform();
  const spec = BENCH_MODELS[name];
  const fixtureDir = new URL(`tests/fixtures/models/${spec.fixture}/`, ROOT).pathname;
  const fixture = folderFiles(spec.fixture, fixtureDir, platform);
  const fixtureConfig = JSON.parse(await Deno.readTextFile(`${fixtureDir}config.json`)) as Dict;
  const config = VisionEncoderDecoderConfig.fromDict(
    realSizeConfig(name, fixtureConfig),
    `${name} config`,
  );
  const weights = randomWeights(config, options.seed ?? 42);
  let parameters = 0;
  for (const t of weights.values()) if (t.dtype === "F32") parameters += t.data.byteLength / 4;
  const dir = benchModelDir(name).pathname;
  await savePretrained(dir, {
    config,
    weights,
    files: sourceFiles(fixture, spec.imageSize),
    platform,
    onnx: options.onnx ?? "merged",
  });
  return { dir, parameters };
}

if (import.meta.main) {
  const which = flag(Deno.args, "model", "all");
  const names = which === "all" ? Object.keys(BENCH_MODELS) as BenchModel[] : [which as BenchModel];
  for (const name of names) {
    if (!(name in BENCH_MODELS)) throw new RangeError(`unknown model ${name}`);
    const dir = benchModelDir(name);
    const exists = await Deno.stat(new URL("onnx/encoder_model.onnx", dir)).then(
      () => true,
      () => false,
    );
    if (exists && !Deno.args.includes("--force")) {
      console.error(`${dir.pathname} exists (use --force to remake)`);
      continue;
    }
    const t0 = performance.now();
    const r = await makeModel(name, {
      onnx: flag(Deno.args, "onnx", "merged") as OptimumDecoderLayout,
      seed: Number(flag(Deno.args, "seed", "42")),
    });
    console.error(
      `${name}: ${(r.parameters / 1e6).toFixed(1)}M parameters -> ${r.dir} in ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}
