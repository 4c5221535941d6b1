/**
 * The BART-style decoder, written once (transformers v4.27 modeling_bart.py BartForCausalLM,
 * modeling_mbart.py MBartForCausalLM; TrOCR's layers are the same post-LayerNorm layer), for
 * vedge's own `cross_kv` and `decoder_step` graphs (contract in decoder_step.ts and cross_kv.ts).
 * bart.ts and mbart.ts pick a {@link BartVariant}: MBart is the same decoder with pre-LayerNorm
 * layers and a final `layer_norm`. trocr.ts reuses {@link decoderLayer} and
 * {@link decoderLayerSpecs}.
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

import type { GraphBuilder } from "../../graph/builder.ts";
import type { GraphWeights } from "../../graph/graph_weights.ts";
import { activation } from "../../graph/activation.ts";
import { linear } from "../../graph/linear.ts";
import type { GraphOptions, Weights } from "../family.ts";
import type { BartConfigFields } from "./bart_like.ts";
import type { CrossKvProjector } from "./cross_kv.ts";
import { buildDecoderStep, type DecoderGeometry, type StepContext } from "./decoder_step.ts";
import {
  layerNormSpecs,
  linearSpecs,
  normalInit,
  param,
  tied,
  type WeightInit,
  type WeightSpec,
  type WeightSpecOptions,
} from "./weight_specs.ts";

/** What MBart changes in the BART decoder. */
export interface BartVariant {
  /** Graph name stem ("bart", "mbart"). */
  name: string;
  /** MBart: LayerNorm before each sub-layer and a final `model.decoder.layer_norm`. */
  preLayerNorm: boolean;
}

/** nn.LayerNorm's default epsilon, which BART and MBart use everywhere. */
const EPS = 1e-5;
/** BartLearnedPositionalEmbedding's offset. */
const POSITION_OFFSET = 2;

/**
 * The decoder's geometry.
 * @param f config fields
 * @returns layers, heads, head size, hidden size, vocabulary
 */
export function bartGeometry(
  f: Pick<
    BartConfigFields,
    "decoder_layers" | "decoder_attention_heads" | "d_model" | "vocab_size"
  >,
): DecoderGeometry {
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
 * The cross-attention K/V projections (`encoder_attn.k_proj` / `v_proj`), reading kdim-wide
 * encoder states: d_model for BART and MBart, cross_attention_hidden_size for TrOCR when set.
 * @param f config fields
 * @param options weight prefix
 * @param kdim width of the encoder states (default d_model)
 * @returns the projector for buildCrossKv
 */
export function bartCrossKv(
  f: Pick<
    BartConfigFields,
    "decoder_layers" | "decoder_attention_heads" | "d_model" | "vocab_size"
  >,
  options: GraphOptions = {},
  kdim: number = f.d_model,
): CrossKvProjector {
  const l = `${options.prefix ?? "decoder."}model.decoder.layers`;
  const h = f.d_model;
  return {
    geometry: bartGeometry(f),
    inputSize: kdim,
    project(b: GraphBuilder, w: GraphWeights, states: string, i: number) {
      const proj = (name: string): string =>
        linear(
          b,
          states,
          w.f32(`${l}.${i}.encoder_attn.${name}.weight`, [h, kdim]),
          w.f32(`${l}.${i}.encoder_attn.${name}.bias`, [h]),
        );
      return { key: proj("k_proj"), value: proj("v_proj") };
    },
  };
}

/** What a BART-style decoder layer needs besides its weights. */
export interface DecoderLayerShape {
  /** d_model. */
  hidden: number;
  /** decoder_ffn_dim. */
  ffn: number;
  /** Query scaling, head_dim^-0.5. */
  scaling: number;
  /** activation_function. */
  activation: string;
  /** MBart: LayerNorm before each sub-layer; BART and TrOCR: after each residual sum. */
  preLayerNorm: boolean;
}

/**
 * One BART-style decoder layer (BartDecoderLayer, MBartDecoderLayer, TrOCRDecoderLayer):
 * self-attention, cross-attention and feed-forward, each with its residual and LayerNorm
 * (eps 1e-5) before (pre-LN) or after (post-LN) it.
 * @param ctx the step graph's context
 * @param p weight stem of the layer, e.g. `decoder.model.decoder.layers.0`
 * @param i layer index
 * @param x token-major input states [tokens, hidden]
 * @param s sizes and layout
 * @returns the layer's output states
 */
export function decoderLayer(
  ctx: StepContext,
  p: string,
  i: number,
  x: string,
  s: DecoderLayerShape,
): string {
  const { b, w } = ctx;
  const h = s.hidden;
  const ln = (y: string, n: string): string =>
    b.layerNorm(y, w.f32(`${p}.${n}.weight`, [h]), w.f32(`${p}.${n}.bias`, [h]), EPS);
  const dense = (y: string, q: string, nIn: number, nOut: number): string =>
    linear(b, y, w.f32(`${q}.weight`, [nOut, nIn]), w.f32(`${q}.bias`, [nOut]));
  // Pre-LN (MBart) normalises each sub-layer's input; post-LN (BART, TrOCR) its residual sum.
  const before = (y: string, n: string): string => s.preLayerNorm ? ln(y, n) : y;
  const after = (y: string, n: string): string => s.preLayerNorm ? y : ln(y, n);
  const sa = `${p}.self_attn`;
  const hs = before(x, "self_attn_layer_norm");
  const q = b.mul(dense(hs, `${sa}.q_proj`, h, h), b.constF32(s.scaling));
  const k = dense(hs, `${sa}.k_proj`, h, h);
  const val = dense(hs, `${sa}.v_proj`, h, h);
  const self = dense(ctx.selfAttention(i, q, k, val), `${sa}.out_proj`, h, h);
  let y = after(b.add(x, self), "self_attn_layer_norm");
  const ea = `${p}.encoder_attn`;
  const hc = before(y, "encoder_attn_layer_norm");
  const cq = b.mul(dense(hc, `${ea}.q_proj`, h, h), b.constF32(s.scaling));
  const cross = dense(ctx.crossAttention(i, cq), `${ea}.out_proj`, h, h);
  y = after(b.add(y, cross), "encoder_attn_layer_norm");
  const hf = before(y, "final_layer_norm");
  const m = activation(b, dense(hf, `${p}.fc1`, h, s.ffn), s.activation);
  return after(b.add(y, dense(m, `${p}.fc2`, s.ffn, h)), "final_layer_norm");
}

/**
 * The checkpoint tensors of one BART-style decoder layer, in the module's order.
 * @param p weight stem of the layer
 * @param h d_model
 * @param ffn decoder_ffn_dim
 * @param kdim width of the encoder states the cross-attention k/v read
 * @param init init of every Linear weight
 * @returns the specs
 */
export function decoderLayerSpecs(
  p: string,
  h: number,
  ffn: number,
  kdim: number,
  init: WeightInit,
): WeightSpec[] {
  const specs: WeightSpec[] = [];
  for (const a of ["self_attn", "encoder_attn"]) {
    const inWidth = a === "self_attn" ? h : kdim;
    specs.push(...linearSpecs(`${p}.${a}.k_proj`, [h, inWidth], init));
    specs.push(...linearSpecs(`${p}.${a}.v_proj`, [h, inWidth], init));
    specs.push(...linearSpecs(`${p}.${a}.q_proj`, [h, h], init));
    specs.push(...linearSpecs(`${p}.${a}.out_proj`, [h, h], init));
    specs.push(...layerNormSpecs(`${p}.${a}_layer_norm`, h));
  }
  specs.push(
    ...linearSpecs(`${p}.fc1`, [ffn, h], init),
    ...linearSpecs(`${p}.fc2`, [h, ffn], init),
    ...layerNormSpecs(`${p}.final_layer_norm`, h),
  );
  return specs;
}

/** The fields the BART-style step graph reads (BART, MBart and TrOCR all have them). */
export type StepFields = Pick<
  BartConfigFields,
  | "d_model"
  | "decoder_layers"
  | "decoder_attention_heads"
  | "decoder_ffn_dim"
  | "vocab_size"
  | "activation_function"
  | "scale_embedding"
  | "tie_word_embeddings"
>;

/** What differs between the BART-style step graphs besides the config. */
export interface StepLayout {
  /** Graph name stem ("bart", "mbart", "trocr"). */
  readonly name: string;
  /** MBart: pre-LayerNorm layers and a final `model.decoder.layer_norm`. */
  readonly preLayerNorm: boolean;
  /** Whether `model.decoder.layernorm_embedding` follows the embeddings. */
  readonly layernormEmbedding: boolean;
  /** The LM head's weight name after the prefix (`lm_head`, TrOCR's `output_projection`). */
  readonly head: string;
  /**
   * The position embeddings of the new tokens, added to the token embeddings.
   * @param ctx the step graph's context
   * @param stem weight stem `<prefix>model.decoder`
   * @returns [n, d] (or broadcastable to the tokens' [rows, n, d])
   */
  positions(ctx: StepContext, stem: string): string;
}

/**
 * BartLearnedPositionalEmbedding: rows past + 2 .. past + n + 2 of `embed_positions.weight`.
 * @param ctx the step graph's context
 * @param stem weight stem `<prefix>model.decoder`
 * @param maxPositions max_position_embeddings
 * @param hidden d_model
 * @returns [n, d]
 */
export function learnedPositions(
  ctx: StepContext,
  stem: string,
  maxPositions: number,
  hidden: number,
): string {
  const { b, w } = ctx;
  // positions = arange(past, past + n) + offset
  const start = b.add(b.squeeze(ctx.past, [0]), b.constI64(POSITION_OFFSET));
  const ids = b.range(start, b.add(start, b.squeeze(ctx.n, [0])), b.constI64(1));
  const table = [maxPositions + POSITION_OFFSET, hidden];
  return b.gather(w.f32(`${stem}.embed_positions.weight`, table), ids);
}

/**
 * Builds a BART-style `decoder_step` graph (BART, MBart, TrOCR): token embeddings (scaled by
 * sqrt(d_model) when scale_embedding) plus positions, layernorm_embedding, the layers, MBart's
 * final layer_norm, and the LM head (tied to embed_tokens when tie_word_embeddings).
 * @param layout what differs between the families
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildSeq2SeqDecoderStep(
  layout: StepLayout,
  f: StepFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  const pre = options.prefix ?? "decoder.";
  const stem = `${pre}model.decoder`;
  const h = f.d_model;
  const geometry = bartGeometry(f);
  const layer: DecoderLayerShape = {
    hidden: h,
    ffn: f.decoder_ffn_dim,
    scaling: Math.pow(geometry.headDim, -0.5),
    activation: f.activation_function,
    preLayerNorm: layout.preLayerNorm,
  };
  return buildDecoderStep(`${layout.name}_decoder_step`, geometry, weights, (ctx: StepContext) => {
    const { b, w } = ctx;
    const ln = (x: string, p: string): string =>
      b.layerNorm(x, w.f32(`${p}.weight`, [h]), w.f32(`${p}.bias`, [h]), EPS);
    const embedTokens = w.f32(`${stem}.embed_tokens.weight`, [f.vocab_size, h]);
    let tokens = b.gather(embedTokens, ctx.inputIds);
    if (f.scale_embedding) tokens = b.mul(tokens, b.constF32(Math.sqrt(h)));
    let x = b.reshape(b.add(tokens, layout.positions(ctx, stem)), [-1, h]);
    if (layout.layernormEmbedding) x = ln(x, `${stem}.layernorm_embedding`);
    for (let i = 0; i < f.decoder_layers; i++) {
      x = b.withScope(`layer.${i}`, () => decoderLayer(ctx, `${stem}.layers.${i}`, i, x, layer));
    }
    if (layout.preLayerNorm) x = ln(x, `${stem}.layer_norm`);
    const head = f.tie_word_embeddings
      ? embedTokens
      : w.f32(`${pre}${layout.head}.weight`, [f.vocab_size, h]);
    return linear(b, x, head);
  }, options.source);
}

/**
 * Builds the BART (or MBart) `decoder_step` graph.
 * @param v BART or MBart
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildBartDecoderStep(
  v: BartVariant,
  f: BartConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  const layout: StepLayout = {
    name: v.name,
    preLayerNorm: v.preLayerNorm,
    layernormEmbedding: true,
    head: "lm_head",
    positions: (ctx, stem) => learnedPositions(ctx, stem, f.max_position_embeddings, f.d_model),
  };
  return buildSeq2SeqDecoderStep(layout, f, weights, options);
}

/**
 * The checkpoint tensors of a BartForCausalLM (or MBartForCausalLM). v4.27's _init_weights:
 * normal(init_std) for Linear and Embedding weights (embed_tokens' pad_token_id row zeroed),
 * zero biases; LayerNorms keep torch's ones/zeros. `lm_head.weight` is tied to
 * `embed_tokens.weight` when tie_word_embeddings.
 * @param v BART or MBart
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function bartLikeWeightSpecs(
  v: BartVariant,
  f: BartConfigFields,
  options: WeightSpecOptions = {},
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
    specs.push(...decoderLayerSpecs(`${stem}.layers.${i}`, h, ffn, h, init));
  }
  specs.push(...layerNormSpecs(`${stem}.layernorm_embedding`, h));
  if (v.preLayerNorm) specs.push(...layerNormSpecs(`${stem}.layer_norm`, h));
  const head = param(`${pre}lm_head.weight`, [f.vocab_size, h], init);
  specs.push(f.tie_word_embeddings ? tied(head, embed) : head);
  return specs;
}
