/**
 * The Swin Transformer encoder graph shared by Swin and Donut Swin (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer
 * using Shifted Windows"; model card microsoft/swin-base-patch4-window12-384; transformers v4.27
 * modeling_swin.py, SwinModel) and Donut's copy of it (naver-clova-ix/donut-base;
 * modeling_donut_swin.py, DonutSwinModel), as the encoder of a VisionEncoderDecoderModel.
 * Emits the graph `encoder_model`: `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state`
 * float32 [batch, h * w, hidden] where h x w is the last stage's grid and hidden =
 * embed_dim * 2^(stages - 1): SwinModel's output 0 (after the final `layernorm`), or
 * DonutSwinModel's (which has no final layernorm).
 *
 * Forward, in Python's order (all sizes are static: the input must be image_size):
 * - SwinPatchEmbeddings: zero-pad the pixels right/bottom to a multiple of the patch, Conv2d with
 *   stride = kernel = patch, flatten to tokens; SwinEmbeddings: `norm` (LayerNorm eps 1e-5).
 * - Each stage's blocks (SwinLayer): x + attn, then + mlp(layernorm_after(.)), where attn =
 *   layernorm_before, view [B, H, W, C], zero-pad right/bottom to multiples of the window, roll by
 *   -shift (odd blocks: shift = window // 2), window partition, windowed self-attention (scores /
 *   sqrt(d) + relative position bias + the shifted-window mask of -100 between regions), window
 *   reverse, roll by +shift, crop the padding. When min(H, W) <= window the block uses
 *   window = min(H, W) and no shift (set_shift_and_window_size); v4.27 only runs when that equals
 *   the configured window (its bias table is sized by config.window_size), so smaller grids are
 *   refused as Python fails on them.
 * - Between stages (SwinPatchMerging): zero-pad odd sizes, concat the 2x2 neighbours
 *   [0::2,0::2], [1::2,0::2], [0::2,1::2], [1::2,1::2], `norm` (LayerNorm(4C), eps 1e-5),
 *   `reduction` (Linear 4C -> 2C, no bias); the grid becomes ((H + 1) // 2, (W + 1) // 2).
 * - SwinModel: final `layernorm` (eps layer_norm_eps); DonutSwinModel: none.
 * use_absolute_embeddings is refused: v4.27 creates a [1, patches + 1, C] table that cannot be
 * added to the [B, patches, C] embeddings, so Python fails too.
 *
 * Checkpoint names (prefix "encoder."): `embeddings.patch_embeddings.projection.*`,
 * `embeddings.norm.*`, `encoder.layers.{s}.blocks.{i}.{layernorm_before,layernorm_after}.*`,
 * `encoder.layers.{s}.blocks.{i}.attention.self.{query,key,value}.*`,
 * `encoder.layers.{s}.blocks.{i}.attention.self.relative_position_bias_table`,
 * `encoder.layers.{s}.blocks.{i}.attention.self.relative_position_index` (buffer),
 * `encoder.layers.{s}.blocks.{i}.attention.output.dense.*`,
 * `encoder.layers.{s}.blocks.{i}.{intermediate,output}.dense.*`,
 * `encoder.layers.{s}.downsample.{norm.*,reduction.weight}`, `layernorm.*` (SwinModel only).
 * @module
 */

import { UnsupportedModelError } from "../../errors.ts";
import { GraphBuilder } from "../../graph/builder.ts";
import { GraphWeights } from "../../graph/graph_weights.ts";
import { activation } from "../../graph/activation.ts";
import { linear } from "../../graph/linear.ts";
import { toFloat32 } from "../../weights/weight_tensor.ts";
import type { GraphOptions, Weights } from "../family.ts";
import type { SwinLikeFields } from "./swin_like.ts";
import { imageGeometry, imageInput } from "./vit_layers.ts";
import {
  type BlockPlan,
  type StagePlan,
  swinAttentionMask,
  swinPlan,
  swinRelativePositionIndex,
} from "./swin_windows.ts";
import {
  int64Buffer,
  layerNormSpecs,
  linearSpecs,
  normalInit,
  param,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./weight_specs.ts";

/** Swin (final layernorm) or Donut's Swin (none). */
export type SwinFlavour = "swin" | "donut-swin";

/** nn.LayerNorm's default epsilon (embeddings.norm and downsample.norm use it). */
const TORCH_EPS = 1e-5;

/** roll(x, shift) along one static axis of size `size`, as two slices and a concat. */
function roll(b: GraphBuilder, x: string, axis: number, size: number, shift: number): string {
  const k = ((shift % size) + size) % size;
  if (k === 0) return x;
  const tail = b.slice(x, [size - k], [size], [axis]);
  const head = b.slice(x, [0], [size - k], [axis]);
  return b.concat([tail, head], axis);
}

/** Zero-pads [B, H, W, C] at the bottom/right. */
function padGrid(b: GraphBuilder, x: string, bottom: number, right: number): string {
  if (bottom === 0 && right === 0) return x;
  return b.op("Pad", [x, b.constI64([0, 0, 0, 0, 0, bottom, right, 0])]);
}

/** Options of {@link buildSwinEncoder}. */
export interface SwinGraphOptions extends GraphOptions {
  /** "swin" (default) or "donut-swin". */
  flavour?: SwinFlavour;
}

/**
 * Builds the Swin (or Donut Swin) `encoder_model` graph.
 * @param f the encoder's config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix, source label and flavour
 * @returns the graph (call `toBytes()` for the ONNX model)
 */
export function buildSwinEncoder(
  f: SwinLikeFields,
  weights: Weights,
  options: SwinGraphOptions = {},
): GraphBuilder {
  if (f.use_absolute_embeddings) {
    throw new UnsupportedModelError(
      "Cannot build a Swin encoder with use_absolute_embeddings: transformers v4.27 adds a " +
        "[1, patches + 1, embed_dim] table to [batch, patches, embed_dim] embeddings and fails",
    );
  }
  const pre = options.prefix ?? "encoder.";
  const flavour = options.flavour ?? "swin";
  const b = new GraphBuilder({ name: flavour === "swin" ? "swin_encoder" : "donut_swin_encoder" });
  const w = new GraphWeights(b, weights, options.source);
  const g = imageGeometry(f);
  const plan = swinPlan(f);
  const pixels = imageInput(b, g);
  // SwinPatchEmbeddings.maybe_pad, projection, flatten(2).transpose(1, 2)
  const padded = b.op("Pad", [
    pixels,
    b.constI64([
      0,
      0,
      0,
      0,
      0,
      0,
      (g.patch[0] - g.image[0] % g.patch[0]) % g.patch[0],
      (g.patch[1] - g.image[1] % g.patch[1]) % g.patch[1],
    ]),
  ]);
  const proj = `${pre}embeddings.patch_embeddings.projection`;
  const c0 = f.embed_dim;
  const conv = b.conv(
    padded,
    w.f32(`${proj}.weight`, [c0, g.channels, g.patch[0], g.patch[1]]),
    w.f32(`${proj}.bias`, [c0]),
    { strides: [...g.patch] },
  );
  let x = b.reshape(b.transpose(b.reshape(conv, [0, 0, -1]), [0, 2, 1]), [-1, c0]);
  const ln = (v: string, p: string, width: number, eps: number): string =>
    b.layerNorm(v, w.f32(`${p}.weight`, [width]), w.f32(`${p}.bias`, [width]), eps);
  x = ln(x, `${pre}embeddings.norm`, c0, TORCH_EPS);
  plan.forEach((stage, s) => {
    const sp = `${pre}encoder.layers.${s}`;
    const masks = new Map<string, string>();
    stage.blocks.forEach((blk, i) => {
      x = b.withScope(
        `stage.${s}.block.${i}`,
        () => swinBlock(b, w, `${sp}.blocks.${i}`, x, stage, blk, f, masks),
      );
    });
    if (s < plan.length - 1) x = b.withScope(`stage.${s}.merge`, () => merge(b, w, sp, x, stage));
  });
  const last = plan[plan.length - 1];
  const hidden = last.dim;
  if (flavour === "swin") x = ln(x, `${pre}layernorm`, hidden, f.layer_norm_eps);
  const seq = last.grid[0] * last.grid[1];
  b.output("last_hidden_state", b.reshape(x, [-1, seq, hidden]), "float32", [
    "batch",
    seq,
    hidden,
  ]);
  return b;
}

/** One SwinLayer on token-major [B * H * W, C]. */
function swinBlock(
  b: GraphBuilder,
  w: GraphWeights,
  p: string,
  x: string,
  stage: StagePlan,
  blk: BlockPlan,
  f: SwinLikeFields,
  masks: Map<string, string>,
): string {
  const { dim: c, heads } = stage;
  const [hh, ww] = stage.grid;
  const { window: win, shift } = blk;
  const d = c / heads;
  const n = win * win;
  const ln = (v: string, name: string): string =>
    b.layerNorm(
      v,
      w.f32(`${p}.${name}.weight`, [c]),
      w.f32(`${p}.${name}.bias`, [c]),
      f.layer_norm_eps,
    );
  const dense = (v: string, name: string, nIn: number, nOut: number, bias = true): string =>
    linear(
      b,
      v,
      w.f32(`${p}.${name}.weight`, [nOut, nIn]),
      bias ? w.f32(`${p}.${name}.bias`, [nOut]) : undefined,
    );
  const padB = (win - hh % win) % win, padR = (win - ww % win) % win;
  const hp = hh + padB, wp = ww + padR;
  const nwh = hp / win, nww = wp / win;
  // layernorm_before, view, maybe_pad, roll(-shift)
  let h = padGrid(b, b.reshape(ln(x, "layernorm_before"), [-1, hh, ww, c]), padB, padR);
  h = roll(b, roll(b, h, 1, hp, -shift), 2, wp, -shift);
  // window_partition -> [B * nW * n, C]
  h = b.reshape(b.transpose(b.reshape(h, [-1, nwh, win, nww, win, c]), [0, 1, 3, 2, 4, 5]), [
    -1,
    c,
  ]);
  // SwinSelfAttention on [B, nW, heads, n, d]
  const sa = "attention.self";
  const perHead = (v: string): string =>
    b.transpose(b.reshape(v, [-1, nwh * nww, n, heads, d]), [0, 1, 3, 2, 4]);
  const q = perHead(dense(h, `${sa}.query`, c, c, f.qkv_bias));
  const k = perHead(dense(h, `${sa}.key`, c, c, f.qkv_bias));
  const v = perHead(dense(h, `${sa}.value`, c, c, f.qkv_bias));
  let scores = b.div(b.matMul(q, b.transpose(k, [0, 1, 2, 4, 3])), b.constF32(Math.sqrt(d)));
  scores = b.add(scores, relativeBias(w, `${p}.${sa}`, f.window_size, heads));
  if (shift > 0) {
    const key = `${hp}x${wp}/${win}/${shift}`;
    let mask = masks.get(key);
    if (!mask) {
      mask = b.initializerF32(`${p}.attn_mask`, swinAttentionMask(hp, wp, win, shift), [
        nwh * nww,
        1,
        n,
        n,
      ]);
      masks.set(key, mask);
    }
    scores = b.add(scores, mask);
  }
  const ctx = b.matMul(b.softmax(scores, -1), v);
  h = b.reshape(b.transpose(ctx, [0, 1, 3, 2, 4]), [-1, c]);
  h = dense(h, "attention.output.dense", c, c);
  // window_reverse, roll(+shift), crop
  h = b.reshape(b.transpose(b.reshape(h, [-1, nwh, nww, win, win, c]), [0, 1, 3, 2, 4, 5]), [
    -1,
    hp,
    wp,
    c,
  ]);
  h = roll(b, roll(b, h, 1, hp, shift), 2, wp, shift);
  if (padB > 0 || padR > 0) h = b.slice(h, [0, 0], [hh, ww], [1, 2]);
  const x1 = b.add(x, b.reshape(h, [-1, c]));
  const m = Math.trunc(f.mlp_ratio * c);
  const inner = activation(
    b,
    dense(ln(x1, "layernorm_after"), "intermediate.dense", c, m),
    f.hidden_act,
  );
  return b.add(x1, dense(inner, "output.dense", m, c));
}

/** The constant [heads, n, n] bias table[index].permute(2, 0, 1) of one block. */
function relativeBias(w: GraphWeights, stem: string, win: number, heads: number): string {
  const n = win * win;
  const table = w.values(`${stem}.relative_position_bias_table`, [(2 * win - 1) ** 2, heads]);
  // A persistent buffer: Python loads it from the checkpoint when present.
  const indexName = `${stem}.relative_position_index`;
  const index = w.has(indexName)
    ? Int32Array.from(toFloat32(w.map.get(indexName)!))
    : swinRelativePositionIndex(win);
  const bias = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) {
    for (let ij = 0; ij < n * n; ij++) bias[h * n * n + ij] = table[index[ij] * heads + h];
  }
  return w.b.initializerF32(`${stem}.bias`, bias, [heads, n, n]);
}

/** SwinPatchMerging on token-major [B * H * W, C] -> [B * H/2 * W/2, 2C]. */
function merge(b: GraphBuilder, w: GraphWeights, sp: string, x: string, stage: StagePlan): string {
  const [hh, ww] = stage.grid;
  const c = stage.dim;
  const grid = padGrid(b, b.reshape(x, [-1, hh, ww, c]), hh % 2, ww % 2);
  const [he, we] = [hh + (hh % 2), ww + (ww % 2)];
  const part = (r: number, q: number): string => b.slice(grid, [r, q], [he, we], [1, 2], [2, 2]);
  const cat = b.concat([part(0, 0), part(1, 0), part(0, 1), part(1, 1)], 3);
  const ds = `${sp}.downsample`;
  const normed = b.layerNorm(
    b.reshape(cat, [-1, 4 * c]),
    w.f32(`${ds}.norm.weight`, [4 * c]),
    w.f32(`${ds}.norm.bias`, [4 * c]),
    TORCH_EPS,
  );
  return linear(b, normed, w.f32(`${ds}.reduction.weight`, [2 * c, 4 * c]));
}

/**
 * The checkpoint tensors of a SwinModel / DonutSwinModel (their poolers have no weights).
 * v4.27's _init_weights: normal(initializer_range) for Linear/Conv2d weights, zero biases, unit
 * LayerNorms; the relative position bias tables stay the zeros they are created as; each block's
 * `relative_position_index` is a persistent buffer (optional here).
 * @param f config fields
 * @param options name prefix (default "encoder.")
 * @param flavour "swin" (final layernorm) or "donut-swin"
 * @returns the specs
 */
export function swinWeightSpecs(
  f: SwinLikeFields,
  options: WeightSpecOptions = {},
  flavour: SwinFlavour = "swin",
): WeightSpec[] {
  const pre = options.prefix ?? "encoder.";
  const g = imageGeometry(f);
  const init = normalInit(f.initializer_range);
  const c0 = f.embed_dim;
  const specs: WeightSpec[] = [
    ...linearSpecs(
      `${pre}embeddings.patch_embeddings.projection`,
      [c0, g.channels, ...g.patch],
      init,
    ),
    ...layerNormSpecs(`${pre}embeddings.norm`, c0),
  ];
  if (f.use_absolute_embeddings) {
    specs.push(param(`${pre}embeddings.position_embeddings`, [1, g.patches + 1, c0], ZEROS));
  }
  const win = f.window_size;
  const n = win * win;
  f.depths.forEach((depth, s) => {
    const c = c0 * 2 ** s;
    const m = Math.trunc(f.mlp_ratio * c);
    const sp = `${pre}encoder.layers.${s}`;
    for (let i = 0; i < depth; i++) {
      const p = `${sp}.blocks.${i}`;
      specs.push(
        ...layerNormSpecs(`${p}.layernorm_before`, c),
        param(`${p}.attention.self.relative_position_bias_table`, [
          (2 * win - 1) ** 2,
          f.num_heads[s],
        ], ZEROS),
        int64Buffer(
          `${p}.attention.self.relative_position_index`,
          [n, n],
          () => BigInt64Array.from(swinRelativePositionIndex(win), (v) => BigInt(v)),
        ),
        ...linearSpecs(`${p}.attention.self.query`, [c, c], init, f.qkv_bias),
        ...linearSpecs(`${p}.attention.self.key`, [c, c], init, f.qkv_bias),
        ...linearSpecs(`${p}.attention.self.value`, [c, c], init, f.qkv_bias),
        ...linearSpecs(`${p}.attention.output.dense`, [c, c], init),
        ...layerNormSpecs(`${p}.layernorm_after`, c),
        ...linearSpecs(`${p}.intermediate.dense`, [m, c], init),
        ...linearSpecs(`${p}.output.dense`, [c, m], init),
      );
    }
    if (s < f.depths.length - 1) {
      specs.push(
        ...linearSpecs(`${sp}.downsample.reduction`, [2 * c, 4 * c], init, false),
        ...layerNormSpecs(`${sp}.downsample.norm`, 4 * c),
      );
    }
  });
  if (flavour === "swin") {
    specs.push(...layerNormSpecs(`${pre}layernorm`, c0 * 2 ** (f.depths.length - 1)));
  }
  return specs;
}
