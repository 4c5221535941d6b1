/**
 * BERT decoder with cross-attention (Devlin et al. 2018, "BERT: Pre-training of Deep
 * Bidirectional Transformers for Language Understanding"; model card bert-base-uncased, used as a
 * VisionEncoderDecoder decoder with is_decoder and add_cross_attention; transformers v4.27
 * modeling_bert.py, BertLMHeadModel): the graph and checkpoint tensors shared by bert.ts and
 * roberta.ts, for vedge's own `cross_kv` and `decoder_step` graphs
 * (contract in decoder_step.ts and cross_kv.ts). RoBERTa is the same network with other
 * names, positions and head, described by a {@link BertVariant}.
 *
 * Embeddings (BertEmbeddings): word_embeddings(ids) + token_type_embeddings[0] (the all-zero
 * token_type_ids buffer) + position_embeddings at absolute positions past..past+n, then
 * LayerNorm. Post-LayerNorm layers (BertLayer): LayerNorm(x + self-attention), LayerNorm(. +
 * cross-attention), LayerNorm(. + output.dense(act(intermediate.dense(.)))); scores are divided
 * by sqrt(head_dim). Head (BertOnlyMLMHead): LayerNorm(act(transform.dense(x))) @ decoder.weight^T
 * + predictions.bias, the decoder weight tied to word_embeddings when tie_word_embeddings.
 * Only position_embedding_type "absolute" is built.
 *
 * Checkpoint names (prefix "decoder." inside VisionEncoderDecoder checkpoints):
 * `bert.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight`,
 * `bert.embeddings.LayerNorm.*`, `bert.embeddings.position_ids` (buffer),
 * `bert.encoder.layer.{i}.attention.self.{query,key,value}.*`,
 * `bert.encoder.layer.{i}.attention.output.{dense,LayerNorm}.*`,
 * `bert.encoder.layer.{i}.crossattention.self.{query,key,value}.*`,
 * `bert.encoder.layer.{i}.crossattention.output.{dense,LayerNorm}.*`,
 * `bert.encoder.layer.{i}.intermediate.dense.*`, `bert.encoder.layer.{i}.output.{dense,LayerNorm}.*`,
 * `cls.predictions.transform.dense.*`, `cls.predictions.transform.LayerNorm.*`,
 * `cls.predictions.bias`, `cls.predictions.decoder.weight` (tied), `cls.predictions.decoder.bias`
 * (the same Parameter as `cls.predictions.bias`).
 * @module
 */

import { UnsupportedModelError } from "../../errors.ts";
import type { GraphBuilder } from "../../graph/builder.ts";
import type { GraphWeights } from "../../graph/graph_weights.ts";
import { activation } from "../../graph/activation.ts";
import { linear } from "../../graph/linear.ts";
import type { GraphOptions, Weights } from "../family.ts";
import type { BertConfigFields } from "./bert_like.ts";
import type { CrossKvProjector } from "./cross_kv.ts";
import { buildDecoderStep, type DecoderGeometry, type StepContext } from "./decoder_step.ts";
import {
  layerNormSpecs,
  linearSpecs,
  normalInit,
  param,
  positionIdsBuffer,
  tied,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./weight_specs.ts";

/** What RoBERTa changes in the BERT network. */
export interface BertVariant {
  /** Family name for messages ("BERT", "RoBERTa"). */
  family: string;
  /** Base model attribute: "bert" or "roberta". */
  base: string;
  /** "absolute" (past..past+n) or "padding" (RoBERTa: counted from padding_idx + 1). */
  positions: "absolute" | "padding";
  /** "cls" (BertOnlyMLMHead) or "lm_head" (RobertaLMHead: dense, gelu, layer_norm, decoder). */
  head: "cls" | "lm_head";
}

/**
 * The decoder's geometry.
 * @param f config fields
 * @returns layers, heads, head size, hidden size, vocabulary
 */
export function bertGeometry(f: BertConfigFields): DecoderGeometry {
  return {
    layers: f.num_hidden_layers,
    heads: f.num_attention_heads,
    headDim: f.hidden_size / f.num_attention_heads,
    hidden: f.hidden_size,
    vocab: f.vocab_size,
  };
}

function requireDecoder(f: BertConfigFields, v: BertVariant): void {
  if (!f.add_cross_attention) {
    throw new UnsupportedModelError(
      `Cannot use a ${v.family} decoder without cross-attention (add_cross_attention is false) ` +
        `in a VisionEncoderDecoder: its layers have no crossattention module`,
    );
  }
  if (f.position_embedding_type !== "absolute") {
    throw new UnsupportedModelError(
      `Cannot build a ${v.family} decoder with position_embedding_type ` +
        `"${f.position_embedding_type}": vedge builds "absolute" only`,
    );
  }
}

/** Names of the head's tensors. */
function headNames(pre: string, v: BertVariant) {
  return v.head === "cls"
    ? {
      dense: `${pre}cls.predictions.transform.dense`,
      norm: `${pre}cls.predictions.transform.LayerNorm`,
      decoder: `${pre}cls.predictions.decoder`,
      bias: `${pre}cls.predictions.bias`,
    }
    : {
      dense: `${pre}lm_head.dense`,
      norm: `${pre}lm_head.layer_norm`,
      decoder: `${pre}lm_head.decoder`,
      bias: `${pre}lm_head.bias`,
    };
}

/**
 * The cross-attention K/V projections (`crossattention.self.key` / `value`, hidden -> hidden).
 * @param v BERT or RoBERTa
 * @param f config fields
 * @param options weight prefix
 * @returns the projector for buildCrossKv
 */
export function bertCrossKv(
  v: BertVariant,
  f: BertConfigFields,
  options: GraphOptions = {},
): CrossKvProjector {
  requireDecoder(f, v);
  const l = `${options.prefix ?? "decoder."}${v.base}.encoder.layer`;
  const h = f.hidden_size;
  return {
    geometry: bertGeometry(f),
    inputSize: h,
    project(b: GraphBuilder, w: GraphWeights, states: string, i: number) {
      const proj = (name: string): string =>
        linear(
          b,
          states,
          w.f32(`${l}.${i}.crossattention.self.${name}.weight`, [h, h]),
          w.f32(`${l}.${i}.crossattention.self.${name}.bias`, [h]),
        );
      return { key: proj("key"), value: proj("value") };
    },
  };
}

/** Position ids of the new tokens: [n] (absolute) or [rows, n] (RoBERTa's padding-aware). */
function positionIds(ctx: StepContext, f: BertConfigFields, v: BertVariant): string {
  const { b } = ctx;
  if (v.positions === "absolute") {
    // position_ids[:, past_key_values_length : seq_length + past_key_values_length]
    const start = b.squeeze(ctx.past, [0]);
    return b.range(start, b.add(start, b.squeeze(ctx.n, [0])), b.constI64(1));
  }
  // create_position_ids_from_input_ids: (cumsum(mask) + past) * mask + padding_idx
  const pad = f.pad_token_id ?? 0;
  const mask = b.cast(b.not(b.equal(ctx.inputIds, b.constI64(pad))), "int64");
  const counted = b.add(b.cumSum(mask, b.constI64(1)), ctx.past);
  return b.add(b.mul(counted, mask), b.constI64(pad));
}

/** Either of two tied names, whichever the checkpoint holds. */
function eitherName(w: GraphWeights, a: string, b: string): string {
  return w.has(a) || !w.has(b) ? a : b;
}

/**
 * Builds the BERT (or RoBERTa) `decoder_step` graph.
 * @param v BERT or RoBERTa
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildBertDecoderStep(
  v: BertVariant,
  f: BertConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  requireDecoder(f, v);
  const pre = options.prefix ?? "decoder.";
  const base = `${pre}${v.base}`;
  const h = f.hidden_size;
  const m = f.intermediate_size;
  const eps = f.layer_norm_eps;
  const geometry = bertGeometry(f);
  const scale = 1 / Math.sqrt(geometry.headDim);
  const name = `${v.base}_decoder_step`;
  return buildDecoderStep(name, geometry, weights, (ctx: StepContext) => {
    const { b, w } = ctx;
    const ln = (x: string, p: string): string =>
      b.layerNorm(x, w.f32(`${p}.weight`, [h]), w.f32(`${p}.bias`, [h]), eps);
    const dense = (x: string, p: string, nIn: number, nOut: number): string =>
      linear(b, x, w.f32(`${p}.weight`, [nOut, nIn]), w.f32(`${p}.bias`, [nOut]));
    const e = `${base}.embeddings`;
    const words = w.f32(`${e}.word_embeddings.weight`, [f.vocab_size, h]);
    // inputs_embeds + token_type_embeddings (ids all 0), then + position_embeddings
    const tokenType = b.gather(
      w.f32(`${e}.token_type_embeddings.weight`, [f.type_vocab_size, h]),
      b.constI64(0),
    );
    const positions = b.gather(
      w.f32(`${e}.position_embeddings.weight`, [f.max_position_embeddings, h]),
      positionIds(ctx, f, v),
    );
    const embedded = b.add(b.add(b.gather(words, ctx.inputIds), tokenType), positions);
    let x = ln(b.reshape(embedded, [-1, h]), `${e}.LayerNorm`);
    for (let i = 0; i < f.num_hidden_layers; i++) {
      const p = `${base}.encoder.layer.${i}`;
      x = b.withScope(`layer.${i}`, () => {
        const sa = `${p}.attention.self`;
        const q = dense(x, `${sa}.query`, h, h);
        const k = dense(x, `${sa}.key`, h, h);
        const val = dense(x, `${sa}.value`, h, h);
        const self = ctx.selfAttention(i, q, k, val, scale);
        const a = ln(
          b.add(dense(self, `${p}.attention.output.dense`, h, h), x),
          `${p}.attention.output.LayerNorm`,
        );
        const cq = dense(a, `${p}.crossattention.self.query`, h, h);
        const cross = ctx.crossAttention(i, cq, scale);
        const c = ln(
          b.add(dense(cross, `${p}.crossattention.output.dense`, h, h), a),
          `${p}.crossattention.output.LayerNorm`,
        );
        const inner = activation(b, dense(c, `${p}.intermediate.dense`, h, m), f.hidden_act);
        return ln(b.add(dense(inner, `${p}.output.dense`, m, h), c), `${p}.output.LayerNorm`);
      });
    }
    const hn = headNames(pre, v);
    // BertPredictionHeadTransform uses hidden_act; RobertaLMHead always uses gelu (erf).
    const act = v.head === "cls" ? f.hidden_act : "gelu";
    const t = ln(activation(b, dense(x, hn.dense, h, h), act), hn.norm);
    const decoderWeight = f.tie_word_embeddings
      ? words
      : w.f32(`${hn.decoder}.weight`, [f.vocab_size, h]);
    const bias = w.f32(eitherName(w, hn.bias, `${hn.decoder}.bias`), [f.vocab_size]);
    return linear(b, t, decoderWeight, bias);
  }, options.source);
}

/**
 * The checkpoint tensors of a BertLMHeadModel (or RobertaForCausalLM) with cross-attention.
 * v4.27's _init_weights: normal(initializer_range) for Linear and Embedding weights
 * (word_embeddings' pad_token_id row zeroed; RoBERTa's position_embeddings too), zero biases,
 * unit LayerNorms. The head's decoder weight is tied to word_embeddings when
 * tie_word_embeddings; its bias is always the head's `bias` Parameter.
 * @param v BERT or RoBERTa
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function bertLikeWeightSpecs(
  v: BertVariant,
  f: BertConfigFields,
  options: WeightSpecOptions = {},
): WeightSpec[] {
  const pre = options.prefix ?? "decoder.";
  const base = `${pre}${v.base}`;
  const e = `${base}.embeddings`;
  const h = f.hidden_size;
  const m = f.intermediate_size;
  const std = f.initializer_range;
  const init = normalInit(std);
  const pad = f.pad_token_id;
  const words = param(`${e}.word_embeddings.weight`, [f.vocab_size, h], {
    kind: "embedding",
    std,
    paddingIdx: pad,
  });
  const specs: WeightSpec[] = [
    words,
    param(
      `${e}.position_embeddings.weight`,
      [f.max_position_embeddings, h],
      v.positions === "padding" ? { kind: "embedding", std, paddingIdx: pad } : init,
    ),
    param(`${e}.token_type_embeddings.weight`, [f.type_vocab_size, h], init),
    ...layerNormSpecs(`${e}.LayerNorm`, h),
    positionIdsBuffer(`${e}.position_ids`, f.max_position_embeddings),
  ];
  for (let i = 0; i < f.num_hidden_layers; i++) {
    const p = `${base}.encoder.layer.${i}`;
    const attention = (a: string): WeightSpec[] => [
      ...linearSpecs(`${p}.${a}.self.query`, [h, h], init),
      ...linearSpecs(`${p}.${a}.self.key`, [h, h], init),
      ...linearSpecs(`${p}.${a}.self.value`, [h, h], init),
      ...linearSpecs(`${p}.${a}.output.dense`, [h, h], init),
      ...layerNormSpecs(`${p}.${a}.output.LayerNorm`, h),
    ];
    specs.push(...attention("attention"));
    if (f.add_cross_attention) specs.push(...attention("crossattention"));
    specs.push(
      ...linearSpecs(`${p}.intermediate.dense`, [m, h], init),
      ...linearSpecs(`${p}.output.dense`, [h, m], init),
      ...layerNormSpecs(`${p}.output.LayerNorm`, h),
    );
  }
  const hn = headNames(pre, v);
  const bias = param(hn.bias, [f.vocab_size], ZEROS);
  const decoder = param(`${hn.decoder}.weight`, [f.vocab_size, h], init);
  specs.push(
    ...linearSpecs(hn.dense, [h, h], init),
    ...layerNormSpecs(hn.norm, h),
    bias,
    f.tie_word_embeddings ? tied(decoder, words) : decoder,
    tied(param(`${hn.decoder}.bias`, [f.vocab_size], ZEROS), bias),
  );
  return specs;
}
