/**
 * GPT-2 decoder with cross-attention (Radford et al. 2019, "Language Models are Unsupervised
 * Multitask Learners"; model card gpt2, as in nlpconnect/vit-gpt2-image-captioning;
 * transformers v4.27 modeling_gpt2.py, GPT2LMHeadModel with add_cross_attention), for vedge's
 * own `cross_kv` and `decoder_step` graphs (see shared/decoder_step.ts and shared/cross_kv.ts for the contract).
 *
 * Pre-LayerNorm blocks: x + attn(ln_1(x)); x + crossattention(ln_cross_attn(x)); x + mlp(ln_2(x));
 * then ln_f and the LM head (tied to `wte` unless tie_word_embeddings is false). Conv1D weights
 * are stored [in, out] and used as stored. Scores are divided by sqrt(head_dim) when
 * scale_attn_weights and by (layer_idx + 1) when scale_attn_by_inverse_layer_idx, in self- and
 * cross-attention alike; reorder_and_upcast_attn only changes precision handling of half
 * floats, and the graphs compute in float32 throughout, which is what it upcasts to.
 *
 * Checkpoint names (prefix "decoder." inside VisionEncoderDecoder checkpoints):
 * `transformer.wte.weight`, `transformer.wpe.weight`, `transformer.h.{i}.ln_1|ln_2|ln_cross_attn.*`,
 * `transformer.h.{i}.attn.c_attn|c_proj.*`, `transformer.h.{i}.crossattention.q_attn|c_attn|c_proj.*`,
 * `transformer.h.{i}.mlp.c_fc|c_proj.*`, `transformer.ln_f.*`, `lm_head.weight` (untied only).
 *
 * Config: `GPT2Config` of transformers v4.27, with its attribute_map (hidden_size -> n_embd,
 * num_attention_heads -> n_head, num_hidden_layers -> n_layer, max_position_embeddings ->
 * n_positions).
 * @module
 */

import {
  count,
  type FieldTable,
  LIMITS,
  NON_NEGATIVE,
  PROBABILITY,
  TOKEN_ID,
} from "../config/config_fields.ts";
import { ACTIVATIONS } from "../graph/activation.ts";
import type { ModelConfig } from "../config/model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "../config/pretrained_config.ts";
import { UnsupportedModelError } from "../errors.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import type { GraphWeights } from "../graph/graph_weights.ts";
import { activation } from "../graph/activation.ts";
import { linear } from "../graph/linear.ts";
import type { DecoderFamily, GraphOptions, Weights } from "./family.ts";
import type { CrossKvProjector } from "./shared/cross_kv.ts";
import { buildDecoderStep, type DecoderGeometry, type StepContext } from "./shared/decoder_step.ts";
import {
  layerNormSpecs,
  normalInit,
  param,
  tied,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./shared/weight_specs.ts";

/** GPT2Config fields, Hugging Face names. */
export interface GPT2ConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** Feed-forward width; null means 4 * n_embd. */
  n_inner: number | null;
  activation_function: string;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  summary_type: string;
  summary_use_proj: boolean;
  summary_activation: string | null;
  summary_proj_to_labels: boolean;
  summary_first_dropout: number;
  scale_attn_weights: boolean;
  use_cache: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
}

/** GPT2Config's fields and Python defaults. */
export const GPT2_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 50257, count(LIMITS.vocab)],
  n_positions: ["int", 1024, count(LIMITS.positions)],
  n_embd: ["int", 768, count(LIMITS.width)],
  n_layer: ["int", 12, count(LIMITS.layers)],
  n_head: ["int", 12, count(LIMITS.layers)],
  n_inner: ["int?", null, count(LIMITS.width)],
  activation_function: ["string", "gelu_new", { oneOf: ACTIVATIONS }],
  resid_pdrop: ["number", 0.1, PROBABILITY],
  embd_pdrop: ["number", 0.1, PROBABILITY],
  attn_pdrop: ["number", 0.1, PROBABILITY],
  layer_norm_epsilon: ["number", 1e-5, NON_NEGATIVE],
  initializer_range: ["number", 0.02, NON_NEGATIVE],
  summary_type: ["string", "cls_index"],
  summary_use_proj: ["bool", true],
  summary_activation: ["string?", null],
  summary_proj_to_labels: ["bool", true],
  summary_first_dropout: ["number", 0.1, PROBABILITY],
  scale_attn_weights: ["bool", true],
  use_cache: ["bool", true],
  bos_token_id: ["int?", 50256, TOKEN_ID],
  eos_token_id: ["ids?", 50256, TOKEN_ID],
  scale_attn_by_inverse_layer_idx: ["bool", false],
  reorder_and_upcast_attn: ["bool", false],
};

/**
 * The decoder's geometry.
 * @param f config fields
 * @returns layers, heads, head size, hidden size, vocabulary
 */
export function gpt2Geometry(f: GPT2ConfigFields): DecoderGeometry {
  return {
    layers: f.n_layer,
    heads: f.n_head,
    headDim: f.n_embd / f.n_head,
    hidden: f.n_embd,
    vocab: f.vocab_size,
  };
}

function requireCrossAttention(f: GPT2ConfigFields): void {
  if (!f.add_cross_attention) {
    throw new UnsupportedModelError(
      "Cannot use a GPT2 decoder without cross-attention (add_cross_attention is false) in a " +
        "VisionEncoderDecoder: GPT2Block refuses encoder_hidden_states without it",
    );
  }
}

function scoreScale(f: GPT2ConfigFields, layer: number): number {
  let s = 1;
  if (f.scale_attn_weights) s /= Math.sqrt(f.n_embd / f.n_head);
  if (f.scale_attn_by_inverse_layer_idx) s /= layer + 1;
  return s;
}

/**
 * The cross-attention K/V projections (`crossattention.c_attn`, [n_embd, 2 * n_embd]).
 * @param f config fields
 * @param options weight prefix
 * @returns the projector for buildCrossKv
 */
export function gpt2CrossKv(
  f: GPT2ConfigFields,
  options: GraphOptions = {},
): CrossKvProjector {
  requireCrossAttention(f);
  const t = `${options.prefix ?? "decoder."}transformer.h`;
  const h = f.n_embd;
  return {
    geometry: gpt2Geometry(f),
    inputSize: h,
    project(b: GraphBuilder, w: GraphWeights, states: string, i: number) {
      const p = `${t}.${i}.crossattention.c_attn`;
      const kv = linear(
        b,
        states,
        w.f32(`${p}.weight`, [h, 2 * h]),
        w.f32(`${p}.bias`, [2 * h]),
        "in_out",
      );
      const [key, value] = b.split(kv, 1, [h, h]);
      return { key, value };
    },
  };
}

/**
 * Builds the GPT2 `decoder_step` graph.
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildGpt2DecoderStep(
  f: GPT2ConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  requireCrossAttention(f);
  const pre = options.prefix ?? "decoder.";
  const t = `${pre}transformer`;
  const h = f.n_embd;
  const inner = f.n_inner ?? 4 * h;
  const eps = f.layer_norm_epsilon;
  const geometry = gpt2Geometry(f);
  return buildDecoderStep("gpt2_decoder_step", geometry, weights, (ctx: StepContext) => {
    const { b, w } = ctx;
    const vec = [h];
    const ln = (x: string, p: string): string =>
      b.layerNorm(x, w.f32(`${p}.weight`, vec), w.f32(`${p}.bias`, vec), eps);
    const conv1d = (x: string, p: string, nIn: number, nOut: number): string =>
      linear(b, x, w.f32(`${p}.weight`, [nIn, nOut]), w.f32(`${p}.bias`, [nOut]), "in_out");
    const wte = w.f32(`${t}.wte.weight`, [f.vocab_size, h]);
    // position_ids = arange(past_length, past_length + n)
    const positions = b.range(
      b.squeeze(ctx.past, [0]),
      b.squeeze(b.add(ctx.past, ctx.n), [0]),
      b.constI64(1),
    );
    const embedded = b.add(
      b.gather(wte, ctx.inputIds),
      b.gather(w.f32(`${t}.wpe.weight`, [f.n_positions, h]), positions),
    );
    let x = b.reshape(embedded, [-1, h]);
    for (let i = 0; i < f.n_layer; i++) {
      const p = `${t}.h.${i}`;
      x = b.withScope(`layer.${i}`, () => {
        const scale = scoreScale(f, i);
        const [q, k, v] = b.split(conv1d(ln(x, `${p}.ln_1`), `${p}.attn.c_attn`, h, 3 * h), 1, [
          h,
          h,
          h,
        ]);
        let y = b.add(conv1d(ctx.selfAttention(i, q, k, v, scale), `${p}.attn.c_proj`, h, h), x);
        const cq = conv1d(ln(y, `${p}.ln_cross_attn`), `${p}.crossattention.q_attn`, h, h);
        y = b.add(conv1d(ctx.crossAttention(i, cq, scale), `${p}.crossattention.c_proj`, h, h), y);
        const m = activation(
          b,
          conv1d(ln(y, `${p}.ln_2`), `${p}.mlp.c_fc`, h, inner),
          f.activation_function,
        );
        return b.add(conv1d(m, `${p}.mlp.c_proj`, inner, h), y);
      });
    }
    x = ln(x, `${t}.ln_f`);
    const head = f.tie_word_embeddings ? wte : w.f32(`${pre}lm_head.weight`, [f.vocab_size, h]);
    return linear(b, x, head);
  }, options.source);
}

/**
 * GPT2Attention's buffers (persistent in v4.27, so checkpoints usually carry them; optional):
 * `bias`, the bool lower-triangular causal mask [1, 1, n_positions, n_positions], and
 * `masked_bias`, the scalar -1e4.
 */
function attentionBuffers(stem: string, positions: number): WeightSpec[] {
  return [
    {
      name: `${stem}.bias`,
      shape: [1, 1, positions, positions],
      dtype: "BOOL",
      optional: true,
      init: {
        kind: "buffer",
        compute: () => {
          const m = new Uint8Array(positions * positions);
          for (let i = 0; i < positions; i++) m.fill(1, i * positions, i * positions + i + 1);
          return m;
        },
      },
    },
    {
      name: `${stem}.masked_bias`,
      shape: [],
      dtype: "F32",
      optional: true,
      init: { kind: "buffer", compute: () => Float32Array.of(-1e4) },
    },
  ];
}

/**
 * The checkpoint tensors of a GPT2LMHeadModel with cross-attention. v4.27's _init_weights:
 * normal(initializer_range) for Conv1D/Linear/Embedding weights, zero biases, unit LayerNorms,
 * then every `c_proj.weight` (attn, crossattention, mlp) redrawn with std
 * initializer_range / sqrt(2 * n_layer). `lm_head.weight` is tied to `transformer.wte.weight`
 * when tie_word_embeddings (safetensors checkpoints then omit it).
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function weightSpecs(f: GPT2ConfigFields, options: WeightSpecOptions = {}): WeightSpec[] {
  const pre = options.prefix ?? "decoder.";
  const t = `${pre}transformer`;
  const h = f.n_embd;
  const inner = f.n_inner ?? 4 * h;
  const std = f.initializer_range;
  const init = normalInit(std);
  const proj = normalInit(std / Math.sqrt(2 * f.n_layer));
  // Conv1D weights are [in, out]; linearSpecs takes the bias size from the first dim, so
  // these are spelled out.
  const conv1d = (stem: string, nIn: number, nOut: number, w = init): WeightSpec[] => [
    param(`${stem}.weight`, [nIn, nOut], w),
    param(`${stem}.bias`, [nOut], ZEROS),
  ];
  const wte = param(`${t}.wte.weight`, [f.vocab_size, h], init);
  const specs: WeightSpec[] = [wte, param(`${t}.wpe.weight`, [f.n_positions, h], init)];
  for (let i = 0; i < f.n_layer; i++) {
    const p = `${t}.h.${i}`;
    specs.push(
      ...layerNormSpecs(`${p}.ln_1`, h),
      ...attentionBuffers(`${p}.attn`, f.n_positions),
      ...conv1d(`${p}.attn.c_attn`, h, 3 * h),
      ...conv1d(`${p}.attn.c_proj`, h, h, proj),
      ...layerNormSpecs(`${p}.ln_2`, h),
    );
    if (f.add_cross_attention) {
      specs.push(
        ...attentionBuffers(`${p}.crossattention`, f.n_positions),
        ...conv1d(`${p}.crossattention.c_attn`, h, 2 * h),
        ...conv1d(`${p}.crossattention.q_attn`, h, h),
        ...conv1d(`${p}.crossattention.c_proj`, h, h, proj),
        ...layerNormSpecs(`${p}.ln_cross_attn`, h),
      );
    }
    specs.push(...conv1d(`${p}.mlp.c_fc`, h, inner), ...conv1d(`${p}.mlp.c_proj`, inner, h, proj));
  }
  specs.push(...layerNormSpecs(`${t}.ln_f`, h));
  const head = param(`${pre}lm_head.weight`, [f.vocab_size, h], init);
  specs.push(f.tie_word_embeddings ? tied(head, wte) : head);
  return specs;
}

/** The GPT2 family (`model_type` "gpt2"): GPT2LMHeadModel with cross-attention. */
export const GPT2_FAMILY: DecoderFamily<GPT2ConfigFields> = {
  modelType: "gpt2",
  role: "decoder",
  pythonClass: "GPT2Config",
  modelClass: "GPT2LMHeadModel",
  basePrefix: "transformer",
  cacheNaming: "gpt2",
  fields: GPT2_FIELDS,
  attributeMap: {
    hidden_size: "n_embd",
    max_position_embeddings: "n_positions",
    num_attention_heads: "n_head",
    num_hidden_layers: "n_layer",
  },
  normalise: (f) => ({
    hiddenSize: f.n_embd,
    numHeads: f.n_head,
    numLayers: f.n_layer,
    intermediateSize: f.n_inner ?? 4 * f.n_embd,
    layerNormEps: f.layer_norm_epsilon,
    activation: f.activation_function,
    initializerRange: f.initializer_range,
    vocabSize: f.vocab_size,
    maxPositions: f.n_positions,
    imageSize: null,
    patchSize: null,
    numChannels: null,
  }),
  weightSpecs,
  crossKv: gpt2CrossKv,
  decoderStep: buildGpt2DecoderStep,
};

/** A parsed GPT2 config. */
export type GPT2Config = ModelConfig<GPT2ConfigFields>;
