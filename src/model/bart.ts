/**
 * BART decoder (Lewis et al. 2019, "BART: Denoising Sequence-to-Sequence Pre-training for Natural
 * Language Generation, Translation, and Comprehension"; model card facebook/bart-base;
 * transformers v4.27 modeling_bart.py, BartForCausalLM), for vedge's own `cross_kv` and
 * `decoder_step` graphs (contract in decoder_step.ts and cross_kv.ts). MBart (mbart.ts) is the
 * same decoder with pre-LayerNorm layers and a final `layer_norm`, built here by a
 * {@link BartVariant}.
 *
 * Embeddings (BartDecoder.forward): embed_tokens(ids) * sqrt(d_model) when scale_embedding, plus
 * BartLearnedPositionalEmbedding rows past + 2 .. past + n + 2 (offset 2), then
 * layernorm_embedding. Post-LayerNorm layers (BartDecoderLayer): self_attn_layer_norm(x +
 * self-attention), encoder_attn_layer_norm(. + cross-attention), final_layer_norm(. +
 * fc2(act(fc1(.)))); queries are scaled by head_dim^-0.5; every LayerNorm has torch's eps 1e-5.
 * Logits: lm_head (no bias), tied to embed_tokens when tie_word_embeddings. BartForCausalLM has no
 * `final_logits_bias` (that belongs to BartForConditionalGeneration): Python ignores such a tensor
 * in a causal-LM checkpoint (unexpected key), and so does vedge.
 * Cross-attention k/v read d_model-wide encoder states (VisionEncoderDecoder's enc_to_dec_proj
 * makes them so when the encoder is wider).
 *
 * Checkpoint names (prefix "decoder." inside VisionEncoderDecoder checkpoints):
 * `model.decoder.embed_tokens.weight`, `model.decoder.embed_positions.weight`,
 * `model.decoder.layernorm_embedding.*`, `model.decoder.layers.{i}.self_attn.{q,k,v,out}_proj.*`,
 * `model.decoder.layers.{i}.self_attn_layer_norm.*`,
 * `model.decoder.layers.{i}.encoder_attn.{q,k,v,out}_proj.*`,
 * `model.decoder.layers.{i}.encoder_attn_layer_norm.*`, `model.decoder.layers.{i}.fc1|fc2.*`,
 * `model.decoder.layers.{i}.final_layer_norm.*`, (MBart: `model.decoder.layer_norm.*`),
 * `lm_head.weight` (tied).
 * @module
 */

import type { GraphBuilder } from "../graph/builder.ts";
import type { GraphWeights } from "../graph/graph_weights.ts";
import { activation } from "../graph/activation.ts";
import { linear } from "../graph/linear.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import type { CrossKvProjector } from "./cross_kv.ts";
import { buildDecoderStep, type DecoderGeometry, type StepContext } from "./decoder_step.ts";
import type { DecoderGraphOptions } from "./gpt2.ts";
import {
  layerNormSpecs,
  linearSpecs,
  normalInit,
  param,
  tied,
  type WeightSpec,
  type WeightSpecOptions,
} from "./weight_specs.ts";

/** The BartConfig / MBartConfig fields the graphs read (Hugging Face names). */
export interface BartDecoderFields {
  vocab_size: number;
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  decoder_ffn_dim: number;
  activation_function: string;
  max_position_embeddings: number;
  scale_embedding: boolean;
  pad_token_id: number | null;
  tie_word_embeddings: boolean;
  init_std: number;
}

/** BartConfig's (and MBartConfig's) Python defaults for the fields above. */
export const BART_DEFAULTS: BartDecoderFields = {
  vocab_size: 50265,
  d_model: 1024,
  decoder_layers: 12,
  decoder_attention_heads: 16,
  decoder_ffn_dim: 4096,
  activation_function: "gelu",
  max_position_embeddings: 1024,
  scale_embedding: false,
  pad_token_id: 1,
  tie_word_embeddings: true,
  init_std: 0.02,
};

/** What MBart changes in the BART decoder. */
export interface BartVariant {
  /** Graph name stem ("bart", "mbart"). */
  name: string;
  /** MBart: LayerNorm before each sub-layer and a final `model.decoder.layer_norm`. */
  preLayerNorm: boolean;
}

/** BART's layout. */
export const BART_VARIANT: BartVariant = { name: "bart", preLayerNorm: false };

/** nn.LayerNorm's default epsilon, which BART and MBart use everywhere. */
const EPS = 1e-5;
/** BartLearnedPositionalEmbedding's offset. */
const POSITION_OFFSET = 2;

/**
 * The decoder's geometry.
 * @param f config fields
 * @returns layers, heads, head size, hidden size, vocabulary
 */
export function bartGeometry(f: BartDecoderFields): DecoderGeometry {
  const heads = f.decoder_attention_heads;
  return {
    layers: f.decoder_layers,
    heads,
    headDim: f.d_model / heads,
    hidden: f.d_model,
    vocab: f.vocab_size,
  };
}

/**
 * The cross-attention K/V projections (`encoder_attn.k_proj` / `v_proj`, d_model -> d_model).
 * @param f config fields
 * @param options weight prefix
 * @returns the projector for buildCrossKv
 */
export function bartCrossKv(
  f: BartDecoderFields,
  options: DecoderGraphOptions = {},
): CrossKvProjector {
  const l = `${options.prefix ?? "decoder."}model.decoder.layers`;
  const h = f.d_model;
  return {
    geometry: bartGeometry(f),
    inputSize: h,
    project(b: GraphBuilder, w: GraphWeights, states: string, i: number) {
      const proj = (name: string): string =>
        linear(
          b,
          states,
          w.f32(`${l}.${i}.encoder_attn.${name}.weight`, [h, h]),
          w.f32(`${l}.${i}.encoder_attn.${name}.bias`, [h]),
        );
      return { key: proj("k_proj"), value: proj("v_proj") };
    },
  };
}

/**
 * Builds the BART (or MBart) `decoder_step` graph.
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @param v BART or MBart
 * @returns the graph
 */
export function buildBartDecoderStep(
  f: BartDecoderFields,
  weights: ReadonlyMap<string, WeightTensor>,
  options: DecoderGraphOptions = {},
  v: BartVariant = BART_VARIANT,
): GraphBuilder {
  const pre = options.prefix ?? "decoder.";
  const stem = `${pre}model.decoder`;
  const h = f.d_model;
  const ffn = f.decoder_ffn_dim;
  const geometry = bartGeometry(f);
  const scaling = Math.pow(geometry.headDim, -0.5);
  return buildDecoderStep(`${v.name}_decoder_step`, geometry, weights, (ctx: StepContext) => {
    const { b, w } = ctx;
    const ln = (x: string, p: string): string =>
      b.layerNorm(x, w.f32(`${p}.weight`, [h]), w.f32(`${p}.bias`, [h]), EPS);
    const dense = (x: string, p: string, nIn: number, nOut: number): string =>
      linear(b, x, w.f32(`${p}.weight`, [nOut, nIn]), w.f32(`${p}.bias`, [nOut]));
    const embedTokens = w.f32(`${stem}.embed_tokens.weight`, [f.vocab_size, h]);
    let tokens = b.gather(embedTokens, ctx.inputIds);
    if (f.scale_embedding) tokens = b.mul(tokens, b.constF32(Math.sqrt(h)));
    // positions = arange(past, past + n) + offset
    const start = b.add(b.squeeze(ctx.past, [0]), b.constI64(POSITION_OFFSET));
    const ids = b.range(start, b.add(start, b.squeeze(ctx.n, [0])), b.constI64(1));
    const table = [f.max_position_embeddings + POSITION_OFFSET, h];
    const positions = b.gather(w.f32(`${stem}.embed_positions.weight`, table), ids);
    let x = ln(b.reshape(b.add(tokens, positions), [-1, h]), `${stem}.layernorm_embedding`);
    for (let i = 0; i < f.decoder_layers; i++) {
      const p = `${stem}.layers.${i}`;
      x = b.withScope(`layer.${i}`, () => {
        // Pre-LN (MBart) normalises each sub-layer's input; post-LN (BART) its residual sum.
        const before = (y: string, n: string): string => v.preLayerNorm ? ln(y, `${p}.${n}`) : y;
        const after = (y: string, n: string): string => v.preLayerNorm ? y : ln(y, `${p}.${n}`);
        const sa = `${p}.self_attn`;
        const hs = before(x, "self_attn_layer_norm");
        const q = b.mul(dense(hs, `${sa}.q_proj`, h, h), b.constF32(scaling));
        const k = dense(hs, `${sa}.k_proj`, h, h);
        const val = dense(hs, `${sa}.v_proj`, h, h);
        const self = dense(ctx.selfAttention(i, q, k, val), `${sa}.out_proj`, h, h);
        let y = after(b.add(x, self), "self_attn_layer_norm");
        const ea = `${p}.encoder_attn`;
        const hc = before(y, "encoder_attn_layer_norm");
        const cq = b.mul(dense(hc, `${ea}.q_proj`, h, h), b.constF32(scaling));
        const cross = dense(ctx.crossAttention(i, cq), `${ea}.out_proj`, h, h);
        y = after(b.add(y, cross), "encoder_attn_layer_norm");
        const hf = before(y, "final_layer_norm");
        const m = activation(b, dense(hf, `${p}.fc1`, h, ffn), f.activation_function);
        return after(b.add(y, dense(m, `${p}.fc2`, ffn, h)), "final_layer_norm");
      });
    }
    if (v.preLayerNorm) x = ln(x, `${stem}.layer_norm`);
    const head = f.tie_word_embeddings
      ? embedTokens
      : w.f32(`${pre}lm_head.weight`, [f.vocab_size, h]);
    return linear(b, x, head);
  }, options.source);
}

/**
 * The checkpoint tensors of a BartForCausalLM (or MBartForCausalLM). v4.27's _init_weights:
 * normal(init_std) for Linear and Embedding weights (embed_tokens' pad_token_id row zeroed),
 * zero biases; LayerNorms keep torch's ones/zeros. `lm_head.weight` is tied to
 * `embed_tokens.weight` when tie_word_embeddings.
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @param v BART or MBart
 * @returns the specs
 */
export function bartLikeWeightSpecs(
  f: BartDecoderFields,
  options: WeightSpecOptions = {},
  v: BartVariant = BART_VARIANT,
): WeightSpec[] {
  const pre = options.prefix ?? "decoder.";
  const stem = `${pre}model.decoder`;
  const h = f.d_model;
  const ffn = f.decoder_ffn_dim;
  const init = normalInit(f.init_std);
  const embed = param(`${stem}.embed_tokens.weight`, [f.vocab_size, h], {
    kind: "embedding",
    std: f.init_std,
    paddingIdx: f.pad_token_id,
  });
  const specs: WeightSpec[] = [
    embed,
    param(`${stem}.embed_positions.weight`, [f.max_position_embeddings + POSITION_OFFSET, h], init),
  ];
  for (let i = 0; i < f.decoder_layers; i++) {
    const p = `${stem}.layers.${i}`;
    for (const a of ["self_attn", "encoder_attn"]) {
      for (const n of ["k_proj", "v_proj", "q_proj", "out_proj"]) {
        specs.push(...linearSpecs(`${p}.${a}.${n}`, [h, h], init));
      }
      specs.push(...layerNormSpecs(`${p}.${a}_layer_norm`, h));
    }
    specs.push(
      ...linearSpecs(`${p}.fc1`, [ffn, h], init),
      ...linearSpecs(`${p}.fc2`, [h, ffn], init),
      ...layerNormSpecs(`${p}.final_layer_norm`, h),
    );
  }
  specs.push(...layerNormSpecs(`${stem}.layernorm_embedding`, h));
  if (v.preLayerNorm) specs.push(...layerNormSpecs(`${stem}.layer_norm`, h));
  const head = param(`${pre}lm_head.weight`, [f.vocab_size, h], init);
  specs.push(f.tie_word_embeddings ? tied(head, embed) : head);
  return specs;
}

/**
 * The checkpoint tensors of a BartForCausalLM (see bartLikeWeightSpecs).
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function weightSpecs(f: BartDecoderFields, options: WeightSpecOptions = {}): WeightSpec[] {
  return bartLikeWeightSpecs(f, options, BART_VARIANT);
}
