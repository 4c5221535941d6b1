/**
 * TrOCR decoder (Li et al. 2021, "TrOCR: Transformer-based Optical Character Recognition with
 * Pre-trained Models"; model card microsoft/trocr-base-handwritten; transformers v4.27
 * modeling_trocr.py, TrOCRForCausalLM), for vedge's own `cross_kv` and `decoder_step` graphs
 * (contract in shared/decoder_step.ts and shared/cross_kv.ts). Config: `TrOCRConfig` of transformers v4.27.
 *
 * Embeddings: embed_tokens(ids) * sqrt(d_model) when scale_embedding, plus positions starting at
 * `past`: learned (`embed_positions.weight`, offset 2) or, when use_learned_position_embeddings is
 * false, fairseq sinusoids indexed from the pad-aware cumulative count (computed at build time);
 * then layernorm_embedding when set. Post-LayerNorm layers (BART's, shared/bart_layers.ts): self-attention, cross-attention
 * (k/v read cross_attention_hidden_size-wide encoder states when set), feed-forward, each
 * followed by its residual add and LayerNorm (eps 1e-5); queries are scaled by head_dim^-0.5.
 * Logits: `output_projection` (or embed_tokens when tie_word_embeddings).
 *
 * Checkpoint names (prefix "decoder." inside VisionEncoderDecoder checkpoints):
 * `model.decoder.embed_tokens.weight`, `model.decoder.embed_positions.weight`,
 * `model.decoder.layernorm_embedding.*`, `model.decoder.layers.{i}.self_attn.{q,k,v,out}_proj.*`,
 * `model.decoder.layers.{i}.self_attn_layer_norm.*`,
 * `model.decoder.layers.{i}.encoder_attn.{q,k,v,out}_proj.*`,
 * `model.decoder.layers.{i}.encoder_attn_layer_norm.*`, `model.decoder.layers.{i}.fc1|fc2.*`,
 * `model.decoder.layers.{i}.final_layer_norm.*`, `output_projection.weight`.
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
import type { GraphBuilder } from "../graph/builder.ts";
import type { DecoderFamily, GraphOptions, Weights } from "./family.ts";
import {
  bartCrossKv,
  buildSeq2SeqDecoderStep,
  decoderLayerSpecs,
  learnedPositions,
  type StepLayout,
} from "./shared/bart_layers.ts";
import type { StepContext } from "./shared/decoder_step.ts";
import {
  layerNormSpecs,
  normalInit,
  param,
  tied,
  type WeightSpec,
  type WeightSpecOptions,
} from "./shared/weight_specs.ts";

/** TrOCRConfig fields, Hugging Face names. */
export interface TrOCRConfigFields extends PretrainedConfigFields {
  vocab_size: number;
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  decoder_ffn_dim: number;
  activation_function: string;
  max_position_embeddings: number;
  dropout: number;
  attention_dropout: number;
  activation_dropout: number;
  init_std: number;
  decoder_layerdrop: number;
  use_cache: boolean;
  scale_embedding: boolean;
  use_learned_position_embeddings: boolean;
  layernorm_embedding: boolean;
}

/** TrOCRConfig's fields and Python defaults. */
export const TROCR_FIELDS: FieldTable = {
  ...PRETRAINED_FIELDS,
  vocab_size: ["int", 50265, count(LIMITS.vocab)],
  d_model: ["int", 1024, count(LIMITS.width)],
  decoder_layers: ["int", 12, count(LIMITS.layers)],
  decoder_attention_heads: ["int", 16, count(LIMITS.layers)],
  decoder_ffn_dim: ["int", 4096, count(LIMITS.width)],
  activation_function: ["string", "gelu", { oneOf: ACTIVATIONS }],
  max_position_embeddings: ["int", 512, count(LIMITS.positions)],
  dropout: ["number", 0.1, PROBABILITY],
  attention_dropout: ["number", 0.0, PROBABILITY],
  activation_dropout: ["number", 0.0, PROBABILITY],
  decoder_start_token_id: ["int?", 2, TOKEN_ID],
  init_std: ["number", 0.02, NON_NEGATIVE],
  decoder_layerdrop: ["number", 0.0, PROBABILITY],
  use_cache: ["bool", true],
  scale_embedding: ["bool", false],
  use_learned_position_embeddings: ["bool", true],
  layernorm_embedding: ["bool", true],
  pad_token_id: ["int?", 1, TOKEN_ID],
  bos_token_id: ["int?", 0, TOKEN_ID],
  eos_token_id: ["ids?", 2, TOKEN_ID],
};

/** TrOCRLearnedPositionalEmbedding's offset (and the sinusoidal table's extra rows). */
const POSITION_OFFSET = 2;

/**
 * fairseq's sinusoidal table (TrOCRSinusoidalPositionalEmbedding.get_embedding), in float32 steps
 * as torch computes it; the padding row is zero.
 * @param rows number of positions
 * @param dim embedding size
 * @param paddingIdx row set to zero (or null)
 * @returns [rows, dim] row-major
 */
export function sinusoidalTable(
  rows: number,
  dim: number,
  paddingIdx: number | null,
): Float32Array {
  const f = Math.fround;
  const half = Math.floor(dim / 2);
  const step = f(Math.log(10000) / (half - 1));
  const freq = Array.from({ length: half }, (_, k) => f(Math.exp(f(k * -step))));
  const out = new Float32Array(rows * dim);
  for (let p = 0; p < rows; p++) {
    for (let k = 0; k < half; k++) {
      const a = f(p * freq[k]);
      out[p * dim + k] = Math.sin(a);
      out[p * dim + half + k] = Math.cos(a);
    }
  }
  if (paddingIdx !== null && paddingIdx >= 0 && paddingIdx < rows) {
    out.fill(0, paddingIdx * dim, (paddingIdx + 1) * dim);
  }
  return out;
}

/** Position embeddings [n, d] (learned) or [rows, n, d] (sinusoidal) for the new tokens. */
function positionEmbeddings(ctx: StepContext, f: TrOCRConfigFields, stem: string): string {
  const { b } = ctx;
  const h = f.d_model;
  if (f.use_learned_position_embeddings) {
    return learnedPositions(ctx, stem, f.max_position_embeddings, h);
  }
  const table = f.max_position_embeddings + POSITION_OFFSET;
  // create_position_ids_from_input_ids: (cumsum(mask) + past) * mask + padding_idx
  const pad = f.pad_token_id ?? 1;
  const mask = b.cast(b.not(b.equal(ctx.inputIds, b.constI64(pad))), "int64");
  const counted = b.add(b.cumSum(mask, b.constI64(1)), ctx.past);
  const positions = b.add(b.mul(counted, mask), b.constI64(pad));
  const weights = b.initializerF32(
    `${stem}.embed_positions.weights`,
    sinusoidalTable(table, h, pad),
    [
      table,
      h,
    ],
  );
  return b.gather(weights, positions);
}

/**
 * Builds the TrOCR `decoder_step` graph: BART's post-LayerNorm step (shared/bart_layers.ts) with
 * TrOCR's positions, optional layernorm_embedding and `output_projection` head.
 * @param f config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph
 */
export function buildTrOCRDecoderStep(
  f: TrOCRConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  const layout: StepLayout = {
    name: "trocr",
    preLayerNorm: false,
    layernormEmbedding: f.layernorm_embedding,
    head: "output_projection",
    positions: (ctx, stem) => positionEmbeddings(ctx, f, stem),
  };
  return buildSeq2SeqDecoderStep(layout, f, weights, options);
}

/**
 * The checkpoint tensors of a TrOCRForCausalLM. v4.27's _init_weights: normal(init_std) for
 * Linear and Embedding weights (embed_tokens' pad_token_id row zeroed), zero biases; LayerNorms
 * keep torch's ones/zeros. Sinusoidal positions (use_learned_position_embeddings false) are not in
 * the state dict, only their `_float_tensor` buffer (uninitialised memory in Python; optional).
 * `output_projection.weight` is tied to `embed_tokens.weight` when tie_word_embeddings.
 * @param f config fields
 * @param options name prefix (default "decoder.")
 * @returns the specs
 */
export function weightSpecs(f: TrOCRConfigFields, options: WeightSpecOptions = {}): WeightSpec[] {
  const pre = options.prefix ?? "decoder.";
  const stem = `${pre}model.decoder`;
  const h = f.d_model;
  const kdim = f.cross_attention_hidden_size ?? h;
  const std = f.init_std;
  const init = normalInit(std);
  const embed = param(`${stem}.embed_tokens.weight`, [f.vocab_size, h], {
    kind: "embedding",
    std,
    paddingIdx: f.pad_token_id,
  });
  const specs: WeightSpec[] = [embed];
  if (f.use_learned_position_embeddings) {
    specs.push(
      param(
        `${stem}.embed_positions.weight`,
        [f.max_position_embeddings + POSITION_OFFSET, h],
        init,
      ),
    );
  } else {
    specs.push({
      name: `${stem}.embed_positions._float_tensor`,
      shape: [1],
      dtype: "F32",
      optional: true,
      init: { kind: "buffer", compute: () => new Float32Array(1) },
    });
  }
  if (f.layernorm_embedding) specs.push(...layerNormSpecs(`${stem}.layernorm_embedding`, h));
  for (let i = 0; i < f.decoder_layers; i++) {
    specs.push(...decoderLayerSpecs(`${stem}.layers.${i}`, h, f.decoder_ffn_dim, kdim, init));
  }
  const head = param(`${pre}output_projection.weight`, [f.vocab_size, h], init);
  specs.push(f.tie_word_embeddings ? tied(head, embed) : head);
  return specs;
}

/** The TrOCR family (`model_type` "trocr"). */
export const TROCR_FAMILY: DecoderFamily<TrOCRConfigFields> = {
  modelType: "trocr",
  role: "decoder",
  pythonClass: "TrOCRConfig",
  modelClass: "TrOCRForCausalLM",
  basePrefix: "model",
  cacheNaming: "seq2seq",
  fields: TROCR_FIELDS,
  attributeMap: {
    num_attention_heads: "decoder_attention_heads",
    hidden_size: "d_model",
    num_hidden_layers: "decoder_layers",
  },
  normalise: (f) => ({
    hiddenSize: f.d_model,
    numHeads: f.decoder_attention_heads,
    numLayers: f.decoder_layers,
    intermediateSize: f.decoder_ffn_dim,
    layerNormEps: 1e-5,
    activation: f.activation_function,
    initializerRange: f.init_std,
    vocabSize: f.vocab_size,
    maxPositions: f.max_position_embeddings,
    imageSize: null,
    patchSize: null,
    numChannels: null,
  }),
  weightSpecs,
  crossKv: (f, o) => bartCrossKv(f, o, f.cross_attention_hidden_size ?? f.d_model),
  decoderStep: buildTrOCRDecoderStep,
};

/** A parsed TrOCR config. */
export type TrOCRConfig = ModelConfig<TrOCRConfigFields>;
