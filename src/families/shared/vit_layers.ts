/**
 * The pieces shared by the ViT-like encoders (ViT, DeiT, BEiT) and, for the image input, Swin:
 * image geometry, the `pixel_values` input, the patch embedding, prepended tokens (CLS,
 * distillation), one pre-LayerNorm transformer layer with its checkpoint tensors, and the
 * `last_hidden_state` output. Written once; each family passes what differs (extra tokens, key
 * bias, layer scale, relative position bias).
 * @module
 */
import type { GraphBuilder } from "../../graph/builder.ts";
import type { GraphWeights } from "../../graph/graph_weights.ts";
import { activation } from "../../graph/activation.ts";
import { attend, mergeHeads, splitHeads } from "../../graph/attention.ts";
import { linear } from "../../graph/linear.ts";
import { layerNormSpecs, linearSpecs, type WeightInit, type WeightSpec } from "./weight_specs.ts";

/** The image fields every patch-embedding encoder config has (Hugging Face names). */
export interface ImageFields {
  image_size: number | readonly number[];
  patch_size: number | readonly number[];
  num_channels: number;
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
  f: ImageFields,
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
