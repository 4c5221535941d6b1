/**
 * ViT encoder (Dosovitskiy et al. 2020, "An Image is Worth 16x16 Words"; model card
 * google/vit-base-patch16-224-in21k; transformers v4.27 modeling_vit.py), as the encoder of a
 * VisionEncoderDecoderModel. Emits the graph `encoder_model`:
 * `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state` float32 [batch, 1 + patches, hidden]
 * (ViTModel's output 0, after the final `layernorm`; the pooler is not used by
 * VisionEncoderDecoder). Position embeddings are not interpolated: like Python without
 * `interpolate_pos_encoding`, the input must be exactly `image_size`.
 *
 * Checkpoint names (prefix "encoder." inside VisionEncoderDecoder checkpoints):
 * `embeddings.cls_token`, `embeddings.position_embeddings`,
 * `embeddings.patch_embeddings.projection.{weight,bias}`,
 * `encoder.layer.{i}.{layernorm_before,layernorm_after}.{weight,bias}`,
 * `encoder.layer.{i}.attention.attention.{query,key,value}.{weight,bias}`,
 * `encoder.layer.{i}.attention.output.dense.*`, `encoder.layer.{i}.intermediate.dense.*`,
 * `encoder.layer.{i}.output.dense.*`, `layernorm.{weight,bias}`.
 *
 * The pieces (`imageInput`, `patchEmbeddings`, `vitLayer`, `finishEncoder`) are shared with the
 * other ViT-like encoders (BEiT, DeiT).
 * @module
 */

import { GraphBuilder } from "../graph/builder.ts";
import { GraphWeights } from "../graph/graph_weights.ts";
import { activation } from "../graph/activation.ts";
import { attend, mergeHeads, splitHeads } from "../graph/attention.ts";
import { linear } from "../graph/linear.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import {
  layerNormSpecs,
  linearSpecs,
  param,
  truncNormalInit,
  type WeightInit,
  type WeightSpec,
  type WeightSpecOptions,
} from "./weight_specs.ts";

/** The ViTConfig fields the graph reads (Hugging Face names). */
export interface ViTEncoderFields {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  layer_norm_eps: number;
  image_size: number | readonly number[];
  patch_size: number | readonly number[];
  num_channels: number;
  /** Absent in old configs: Python's default is true. */
  qkv_bias?: boolean;
  /** Std of the random init (Python default 0.02). */
  initializer_range?: number;
}

/** Options of the encoder builders. */
export interface EncoderGraphOptions {
  /** Prefix of the encoder's weights in the checkpoint (default "encoder."). */
  prefix?: string;
  /** Checkpoint description for error messages. */
  source?: string;
}

/** Geometry of a patch-embedding encoder input. */
export interface ImageGeometry {
  /** [height, width] of the image. */
  image: [number, number];
  /** [height, width] of a patch. */
  patch: [number, number];
  /** Input channels. */
  channels: number;
  /** Number of patches. */
  patches: number;
}

/**
 * Image and patch geometry from config fields.
 * @param f image_size, patch_size and num_channels
 * @returns the geometry
 */
export function imageGeometry(
  f: Pick<ViTEncoderFields, "image_size" | "patch_size" | "num_channels">,
): ImageGeometry {
  const pair = (v: number | readonly number[]): [number, number] =>
    typeof v === "number" ? [v, v] : [v[0], v[1]];
  const image = pair(f.image_size);
  const patch = pair(f.patch_size);
  const patches = Math.floor(image[0] / patch[0]) * Math.floor(image[1] / patch[1]);
  return { image, patch, channels: f.num_channels, patches };
}

/**
 * Declares `pixel_values` [batch, C, H, W].
 * @param b the graph
 * @param g the geometry
 * @returns the input name
 */
export function imageInput(b: GraphBuilder, g: ImageGeometry): string {
  return b.input("pixel_values", "float32", ["batch", g.channels, g.image[0], g.image[1]]);
}

/**
 * Patch embedding (a Conv2d with stride = kernel = patch size) flattened to tokens, then
 * `flatten(2).transpose(1, 2)` as Python: [batch, patches, hidden].
 * @param b the graph
 * @param w the checkpoint weights
 * @param pixels `pixel_values`
 * @param projection name stem of the Conv2d, e.g. "encoder.embeddings.patch_embeddings.projection"
 * @param g the geometry
 * @param hidden hidden size
 * @returns patch tokens [batch, patches, hidden]
 */
export function patchEmbeddings(
  b: GraphBuilder,
  w: GraphWeights,
  pixels: string,
  projection: string,
  g: ImageGeometry,
  hidden: number,
): string {
  const kernel = w.f32(`${projection}.weight`, [hidden, g.channels, g.patch[0], g.patch[1]]);
  const conv = b.conv(pixels, kernel, w.f32(`${projection}.bias`, [hidden]), {
    strides: [...g.patch],
  });
  return b.transpose(b.reshape(conv, [0, 0, -1]), [0, 2, 1]);
}

/**
 * Prepends tokens of shape [1, k, hidden] (CLS, distillation) broadcast over the batch.
 * @param b the graph
 * @param tokens [batch, seq, hidden]
 * @param prefixes initializers [1, 1, hidden] in order
 * @param hidden hidden size
 * @returns [batch, k + seq, hidden]
 */
export function prependTokens(
  b: GraphBuilder,
  tokens: string,
  prefixes: readonly string[],
  hidden: number,
): string {
  const shape = b.concat([b.dim(tokens, 0), b.constI64([1, hidden])], 0);
  return b.concat([...prefixes.map((p) => b.expand(p, shape)), tokens], 1);
}

/** What differs between the ViT-like layers (ViT, DeiT, BEiT). */
export interface VitLayerOptions {
  /** Whether the key projection has a bias (ViT: qkv_bias; BEiT: never). */
  keyBias: boolean;
  /** Whether query and value projections have biases (ViT: qkv_bias; BEiT: always). */
  qvBias: boolean;
  /** Additive attention biases [heads, seq, seq] (BEiT relative positions). */
  attentionBiases?: readonly string[];
  /** Layer-scale vectors (BEiT lambda_1, lambda_2) multiplying each residual branch. */
  lambda1?: string;
  /** See lambda1. */
  lambda2?: string;
}

/** Shapes a ViT-like layer needs. */
export interface VitLayerShape {
  hidden: number;
  heads: number;
  intermediate: number;
  eps: number;
  act: string;
  /** int64 [2] value [batch, seq]. */
  batchSeq: string;
}

/**
 * One pre-LayerNorm ViT layer on token-major states [batch * seq, hidden]:
 * x + attn(layernorm_before(x)), then + mlp(layernorm_after(.)).
 * @param b the graph
 * @param w the checkpoint weights
 * @param p name stem of the layer, e.g. "encoder.encoder.layer.0"
 * @param x token-major input
 * @param s shapes
 * @param o family differences
 * @returns token-major output
 */
export function vitLayer(
  b: GraphBuilder,
  w: GraphWeights,
  p: string,
  x: string,
  s: VitLayerShape,
  o: VitLayerOptions,
): string {
  const { hidden, heads } = s;
  const d = hidden / heads;
  const sq = [hidden, hidden];
  const vec = [hidden];
  const proj = (name: string, bias: boolean, h: string): string =>
    linear(
      b,
      h,
      w.f32(`${p}.${name}.weight`, sq),
      bias ? w.f32(`${p}.${name}.bias`, vec) : undefined,
    );
  const h = b.layerNorm(
    x,
    w.f32(`${p}.layernorm_before.weight`, vec),
    w.f32(`${p}.layernorm_before.bias`, vec),
    s.eps,
  );
  const q = splitHeads(b, proj("attention.attention.query", o.qvBias, h), s.batchSeq, heads, d);
  const k = splitHeads(b, proj("attention.attention.key", o.keyBias, h), s.batchSeq, heads, d);
  const v = splitHeads(b, proj("attention.attention.value", o.qvBias, h), s.batchSeq, heads, d);
  const ctx = attend(b, q, k, v, { scale: 1 / Math.sqrt(d), biases: o.attentionBiases });
  let attn = proj("attention.output.dense", true, mergeHeads(b, ctx, hidden));
  if (o.lambda1) attn = b.mul(attn, o.lambda1);
  const x1 = b.add(attn, x);
  const h2 = b.layerNorm(
    x1,
    w.f32(`${p}.layernorm_after.weight`, vec),
    w.f32(`${p}.layernorm_after.bias`, vec),
    s.eps,
  );
  const inner = activation(
    b,
    linear(
      b,
      h2,
      w.f32(`${p}.intermediate.dense.weight`, [s.intermediate, hidden]),
      w.f32(`${p}.intermediate.dense.bias`, [s.intermediate]),
    ),
    s.act,
  );
  let out = linear(
    b,
    inner,
    w.f32(`${p}.output.dense.weight`, [hidden, s.intermediate]),
    w.f32(`${p}.output.dense.bias`, vec),
  );
  if (o.lambda2) out = b.mul(out, o.lambda2);
  return b.add(out, x1);
}

/**
 * Declares `last_hidden_state` [batch, seq, hidden] from token-major states.
 * @param b the graph
 * @param x token-major states [batch * seq, hidden]
 * @param batchSeq int64 [2] value [batch, seq]
 * @param seq sequence length
 * @param hidden hidden size
 */
export function finishEncoder(
  b: GraphBuilder,
  x: string,
  batchSeq: string,
  seq: number,
  hidden: number,
): void {
  const out = b.reshape(x, b.concat([batchSeq, b.constI64([hidden])], 0));
  b.output("last_hidden_state", out, "float32", ["batch", seq, hidden]);
}

/**
 * Builds the ViT `encoder_model` graph.
 * @param fields the encoder's config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph (call `toBytes()` for the ONNX model)
 */
export function buildVitEncoder(
  fields: ViTEncoderFields,
  weights: ReadonlyMap<string, WeightTensor>,
  options: EncoderGraphOptions = {},
): GraphBuilder {
  const pre = options.prefix ?? "encoder.";
  const b = new GraphBuilder({ name: "vit_encoder" });
  const w = new GraphWeights(b, weights, options.source);
  const g = imageGeometry(fields);
  const hidden = fields.hidden_size;
  const seq = g.patches + 1;
  const pixels = imageInput(b, g);
  const patches = patchEmbeddings(
    b,
    w,
    pixels,
    `${pre}embeddings.patch_embeddings.projection`,
    g,
    hidden,
  );
  const cls = w.f32(`${pre}embeddings.cls_token`, [1, 1, hidden]);
  const embedded = b.add(
    prependTokens(b, patches, [cls], hidden),
    w.f32(`${pre}embeddings.position_embeddings`, [1, seq, hidden]),
  );
  const batchSeq = b.concat([b.dim(pixels, 0), b.constI64([seq])], 0);
  let x = b.reshape(embedded, [-1, hidden]);
  const shape: VitLayerShape = {
    hidden,
    heads: fields.num_attention_heads,
    intermediate: fields.intermediate_size,
    eps: fields.layer_norm_eps,
    act: fields.hidden_act,
    batchSeq,
  };
  const qkvBias = fields.qkv_bias ?? true;
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    x = b.withScope(
      `layer.${i}`,
      () =>
        vitLayer(b, w, `${pre}encoder.layer.${i}`, x, shape, { keyBias: qkvBias, qvBias: qkvBias }),
    );
  }
  x = b.layerNorm(
    x,
    w.f32(`${pre}layernorm.weight`, [hidden]),
    w.f32(`${pre}layernorm.bias`, [hidden]),
    fields.layer_norm_eps,
  );
  finishEncoder(b, x, batchSeq, seq, hidden);
  return b;
}

/** What differs between the ViT-like layers' checkpoint tensors. */
export interface VitLayerSpecShape {
  hidden: number;
  intermediate: number;
  /** Whether `attention.attention.key` has a bias. */
  keyBias: boolean;
  /** Whether `query` and `value` have biases. */
  qvBias: boolean;
  /** Init of every Linear weight (ViT/DeiT: trunc_normal; BEiT: normal). */
  init: WeightInit;
}

/**
 * The checkpoint tensors of one ViT-like layer (ViTLayer, DeiTLayer, BeitLayer without its
 * extras), as `vitLayer` reads them.
 * @param p name stem, e.g. "encoder.encoder.layer.0"
 * @param s sizes, biases and init
 * @returns the specs
 */
export function vitLayerSpecs(p: string, s: VitLayerSpecShape): WeightSpec[] {
  const { hidden: h, intermediate: m, init } = s;
  const a = `${p}.attention.attention`;
  return [
    ...linearSpecs(`${a}.query`, [h, h], init, s.qvBias),
    ...linearSpecs(`${a}.key`, [h, h], init, s.keyBias),
    ...linearSpecs(`${a}.value`, [h, h], init, s.qvBias),
    ...linearSpecs(`${p}.attention.output.dense`, [h, h], init),
    ...linearSpecs(`${p}.intermediate.dense`, [m, h], init),
    ...linearSpecs(`${p}.output.dense`, [h, m], init),
    ...layerNormSpecs(`${p}.layernorm_before`, h),
    ...layerNormSpecs(`${p}.layernorm_after`, h),
  ];
}

/**
 * The checkpoint tensors of a ViTModel (add_pooling_layer=True, as VisionEncoderDecoder builds
 * it; the pooler is unused by the graphs but present in checkpoints). v4.27's _init_weights:
 * trunc_normal(initializer_range) for Linear/Conv2d weights and for `cls_token` and
 * `position_embeddings` (the ViTEmbeddings branch), zero biases, unit LayerNorms.
 * @param fields the encoder's config fields
 * @param options name prefix (default "encoder.")
 * @returns the specs
 */
export function weightSpecs(
  fields: ViTEncoderFields,
  options: WeightSpecOptions = {},
): WeightSpec[] {
  const pre = options.prefix ?? "encoder.";
  const g = imageGeometry(fields);
  const h = fields.hidden_size;
  const init = truncNormalInit(fields.initializer_range ?? 0.02);
  const qkvBias = fields.qkv_bias ?? true;
  const specs: WeightSpec[] = [
    param(`${pre}embeddings.cls_token`, [1, 1, h], init),
    param(`${pre}embeddings.position_embeddings`, [1, g.patches + 1, h], init),
    ...linearSpecs(
      `${pre}embeddings.patch_embeddings.projection`,
      [h, g.channels, ...g.patch],
      init,
    ),
  ];
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    specs.push(...vitLayerSpecs(`${pre}encoder.layer.${i}`, {
      hidden: h,
      intermediate: fields.intermediate_size,
      keyBias: qkvBias,
      qvBias: qkvBias,
      init,
    }));
  }
  specs.push(...layerNormSpecs(`${pre}layernorm`, h));
  specs.push(...linearSpecs(`${pre}pooler.dense`, [h, h], init));
  return specs;
}
