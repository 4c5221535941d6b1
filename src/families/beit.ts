/**
 * BEiT encoder (Bao et al. 2021, "BEiT: BERT Pre-Training of Image Transformers"; model card
 * microsoft/beit-base-patch16-224; TrOCR's encoder; transformers v4.27 modeling_beit.py), as the
 * encoder of a VisionEncoderDecoderModel. Emits `encoder_model`:
 * `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state` [batch, 1 + patches, hidden]
 * (BeitModel's output 0: after the final `layernorm`, which is Identity when use_mean_pooling).
 *
 * Differences from ViT: the key projection has no bias; optional absolute position embeddings;
 * relative position bias per layer (use_relative_position_bias) and/or shared
 * (use_shared_relative_position_bias), gathered from the table at build time into constant
 * [heads, seq, seq] biases; layer scale `lambda_1` / `lambda_2` when layer_scale_init_value > 0.
 * `mask_token` only applies with bool_masked_pos, which generation never passes.
 *
 * Checkpoint names (prefix "encoder."): `embeddings.cls_token`, `embeddings.position_embeddings`,
 * `embeddings.patch_embeddings.projection.*`, `encoder.layer.{i}.lambda_1|lambda_2`,
 * `encoder.layer.{i}.attention.attention.{query.*,key.weight,value.*}`,
 * `encoder.layer.{i}.attention.attention.relative_position_bias.relative_position_bias_table`
 * (and its `relative_position_index` buffer), `encoder.relative_position_bias.*` (shared),
 * `encoder.layer.{i}.{layernorm_before,layernorm_after,attention.output.dense,intermediate.dense,
 * output.dense}.*`, `layernorm.*`.
 *
 * Config: `BeitConfig` of transformers v4.27 (configuration_beit.py), field names and defaults.
 * @module
 */

import { count, type FieldTable, LIMITS, PROBABILITY } from "../config/config_fields.ts";
import type { ModelConfig } from "../config/model_config.ts";
import { GraphBuilder } from "../graph/builder.ts";
import { GraphWeights } from "../graph/graph_weights.ts";
import { toFloat32 } from "../weights/weight_tensor.ts";
import type { EncoderFamily, GraphOptions, Weights } from "./family.ts";
import {
  int64Buffer,
  layerNormSpecs,
  linearSpecs,
  normalInit,
  param,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./shared/weight_specs.ts";
import {
  finishEncoder,
  imageGeometry,
  imageInput,
  patchEmbeddings,
  prependTokens,
  vitLayer,
  type VitLayerShape,
  vitLayerSpecs,
} from "./shared/vit_layers.ts";
import { normaliseViTLike, VIT_LIKE_FIELDS, type ViTLikeFields } from "./vit.ts";

/** BeitConfig fields, Hugging Face names. */
export interface BeitConfigFields extends ViTLikeFields {
  vocab_size: number;
  use_mask_token: boolean;
  use_absolute_position_embeddings: boolean;
  use_relative_position_bias: boolean;
  use_shared_relative_position_bias: boolean;
  layer_scale_init_value: number;
  drop_path_rate: number;
  use_mean_pooling: boolean;
  out_indices: number[];
  pool_scales: number[];
  use_auxiliary_head: boolean;
  auxiliary_loss_weight: number;
  auxiliary_channels: number;
  auxiliary_num_convs: number;
  auxiliary_concat_input: boolean;
  semantic_loss_ignore_index: number;
}

/** BeitConfig's fields and Python defaults. */
export const BEIT_FIELDS: FieldTable = {
  ...VIT_LIKE_FIELDS,
  vocab_size: ["int", 8192, count(LIMITS.vocab)],
  use_mask_token: ["bool", false],
  use_absolute_position_embeddings: ["bool", false],
  use_relative_position_bias: ["bool", false],
  use_shared_relative_position_bias: ["bool", false],
  layer_scale_init_value: ["number", 0.1],
  drop_path_rate: ["number", 0.1, PROBABILITY],
  use_mean_pooling: ["bool", true],
  out_indices: ["int[]", [3, 5, 7, 11]],
  pool_scales: ["int[]", [1, 2, 3, 6]],
  use_auxiliary_head: ["bool", true],
  auxiliary_loss_weight: ["number", 0.4],
  auxiliary_channels: ["int", 256],
  auxiliary_num_convs: ["int", 1],
  auxiliary_concat_input: ["bool", false],
  semantic_loss_ignore_index: ["int", 255],
};

/**
 * BeitRelativePositionBias's `relative_position_index` for a window [Wh, Ww]: pairwise patch
 * offsets, plus three extra entries for cls->token, token->cls and cls->cls.
 * @param wh window height (patches)
 * @param ww window width (patches)
 * @returns int indices [(Wh*Ww + 1)^2], row-major
 */
export function relativePositionIndex(wh: number, ww: number): Int32Array {
  const n = wh * ww;
  const numRel = (2 * wh - 1) * (2 * ww - 1) + 3;
  const size = n + 1;
  const idx = new Int32Array(size * size);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dh = Math.floor(i / ww) - Math.floor(j / ww) + wh - 1;
      const dw = (i % ww) - (j % ww) + ww - 1;
      idx[(i + 1) * size + (j + 1)] = dh * (2 * ww - 1) + dw;
    }
  }
  for (let j = 0; j < size; j++) idx[j] = numRel - 3;
  for (let i = 0; i < size; i++) idx[i * size] = numRel - 2;
  idx[0] = numRel - 1;
  return idx;
}

/**
 * The constant [heads, seq, seq] bias `table[index].permute(2, 0, 1)` of one relative position
 * bias module, as a new initializer.
 * @param w the checkpoint weights
 * @param stem name stem, e.g. "encoder.encoder.layer.0.attention.attention.relative_position_bias"
 * @param window [Wh, Ww] in patches
 * @param heads number of heads
 * @returns the initializer's name
 */
function relativeBias(
  w: GraphWeights,
  stem: string,
  window: [number, number],
  heads: number,
): string {
  const [wh, ww] = window;
  const numRel = (2 * wh - 1) * (2 * ww - 1) + 3;
  const seq = wh * ww + 1;
  const table = w.values(`${stem}.relative_position_bias_table`, [numRel, heads]);
  // The index is a persistent buffer: Python loads it from the checkpoint when present.
  const indexName = `${stem}.relative_position_index`;
  const index = w.has(indexName)
    ? Int32Array.from(toFloat32(w.map.get(indexName)!))
    : relativePositionIndex(wh, ww);
  const bias = new Float32Array(heads * seq * seq);
  for (let h = 0; h < heads; h++) {
    for (let ij = 0; ij < seq * seq; ij++) bias[h * seq * seq + ij] = table[index[ij] * heads + h];
  }
  return w.b.initializerF32(`${stem}.bias`, bias, [heads, seq, seq]);
}

/**
 * Builds the BEiT `encoder_model` graph.
 * @param fields the encoder's config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph (call `toBytes()` for the ONNX model)
 */
export function buildBeitEncoder(
  fields: BeitConfigFields,
  weights: Weights,
  options: GraphOptions = {},
): GraphBuilder {
  const pre = options.prefix ?? "encoder.";
  const b = new GraphBuilder({ name: "beit_encoder" });
  const w = new GraphWeights(b, weights, options.source);
  const g = imageGeometry(fields);
  const window: [number, number] = [g.image[0] / g.patch[0], g.image[1] / g.patch[1]].map(
    Math.floor,
  ) as [number, number];
  const hidden = fields.hidden_size;
  const heads = fields.num_attention_heads;
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
  let embedded = prependTokens(
    b,
    patches,
    [w.f32(`${pre}embeddings.cls_token`, [1, 1, hidden])],
    hidden,
  );
  if (fields.use_absolute_position_embeddings) {
    embedded = b.add(embedded, w.f32(`${pre}embeddings.position_embeddings`, [1, seq, hidden]));
  }
  const batchSeq = b.concat([b.dim(pixels, 0), b.constI64([seq])], 0);
  const shared = fields.use_shared_relative_position_bias
    ? relativeBias(w, `${pre}encoder.relative_position_bias`, window, heads)
    : undefined;
  const shape: VitLayerShape = {
    hidden,
    heads,
    intermediate: fields.intermediate_size,
    eps: fields.layer_norm_eps,
    act: fields.hidden_act,
    batchSeq,
  };
  let x = b.reshape(embedded, [-1, hidden]);
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    const p = `${pre}encoder.layer.${i}`;
    x = b.withScope(`layer.${i}`, () => {
      // Python adds the layer's own bias first, then the shared one.
      const biases: string[] = [];
      if (fields.use_relative_position_bias) {
        biases.push(
          relativeBias(w, `${p}.attention.attention.relative_position_bias`, window, heads),
        );
      }
      if (shared) biases.push(shared);
      const scaled = fields.layer_scale_init_value > 0;
      return vitLayer(b, w, p, x, shape, {
        keyBias: false,
        qvBias: true,
        attentionBiases: biases,
        lambda1: scaled ? w.f32(`${p}.lambda_1`, [hidden]) : undefined,
        lambda2: scaled ? w.f32(`${p}.lambda_2`, [hidden]) : undefined,
      });
    });
  }
  if (!fields.use_mean_pooling) {
    x = b.layerNorm(
      x,
      w.f32(`${pre}layernorm.weight`, [hidden]),
      w.f32(`${pre}layernorm.bias`, [hidden]),
      fields.layer_norm_eps,
    );
  }
  finishEncoder(b, x, batchSeq, seq, hidden);
  return b;
}

/**
 * The specs of one relative position bias module: its table (zeros: v4.27 never re-initialises
 * it) and its `relative_position_index` buffer (persistent, so usually in checkpoints; optional).
 * @param stem module name
 * @param window [Wh, Ww] in patches
 * @param heads attention heads
 * @returns the two specs
 */
function relativeBiasSpecs(stem: string, window: [number, number], heads: number): WeightSpec[] {
  const [wh, ww] = window;
  const numRel = (2 * wh - 1) * (2 * ww - 1) + 3;
  const seq = wh * ww + 1;
  return [
    param(`${stem}.relative_position_bias_table`, [numRel, heads], ZEROS),
    int64Buffer(
      `${stem}.relative_position_index`,
      [seq, seq],
      () => BigInt64Array.from(relativePositionIndex(wh, ww), (v) => BigInt(v)),
    ),
  ];
}

/**
 * The checkpoint tensors of a BeitModel (add_pooling_layer=True, as VisionEncoderDecoder builds
 * it). v4.27's _init_weights: normal(initializer_range) for Linear/Conv2d weights, zero biases,
 * unit LayerNorms; `cls_token`, `position_embeddings` and the relative position bias tables stay
 * the zeros they are created as; `lambda_1`/`lambda_2` are layer_scale_init_value * ones.
 * With use_mean_pooling the final `layernorm` is Identity and the pooler holds `pooler.layernorm`.
 * @param fields the encoder's config fields
 * @param options name prefix (default "encoder.")
 * @returns the specs
 */
export function weightSpecs(
  fields: BeitConfigFields,
  options: WeightSpecOptions = {},
): WeightSpec[] {
  const pre = options.prefix ?? "encoder.";
  const g = imageGeometry(fields);
  const window: [number, number] = [
    Math.floor(g.image[0] / g.patch[0]),
    Math.floor(g.image[1] / g.patch[1]),
  ];
  const h = fields.hidden_size;
  const heads = fields.num_attention_heads;
  const init = normalInit(fields.initializer_range);
  const specs: WeightSpec[] = [param(`${pre}embeddings.cls_token`, [1, 1, h], ZEROS)];
  if (fields.use_absolute_position_embeddings) {
    specs.push(param(`${pre}embeddings.position_embeddings`, [1, g.patches + 1, h], ZEROS));
  }
  specs.push(
    ...linearSpecs(
      `${pre}embeddings.patch_embeddings.projection`,
      [h, g.channels, ...g.patch],
      init,
    ),
  );
  if (fields.use_shared_relative_position_bias) {
    specs.push(...relativeBiasSpecs(`${pre}encoder.relative_position_bias`, window, heads));
  }
  for (let i = 0; i < fields.num_hidden_layers; i++) {
    const p = `${pre}encoder.layer.${i}`;
    if (fields.layer_scale_init_value > 0) {
      const scale = { kind: "constant", value: fields.layer_scale_init_value } as const;
      specs.push(param(`${p}.lambda_1`, [h], scale), param(`${p}.lambda_2`, [h], scale));
    }
    specs.push(...vitLayerSpecs(p, {
      hidden: h,
      intermediate: fields.intermediate_size,
      keyBias: false,
      qvBias: true,
      init,
    }));
    if (fields.use_relative_position_bias) {
      specs.push(
        ...relativeBiasSpecs(`${p}.attention.attention.relative_position_bias`, window, heads),
      );
    }
  }
  specs.push(
    ...layerNormSpecs(`${pre}${fields.use_mean_pooling ? "pooler.layernorm" : "layernorm"}`, h),
  );
  return specs;
}

/** The BEiT family (`model_type` "beit"). */
export const BEIT_FAMILY: EncoderFamily<BeitConfigFields> = {
  modelType: "beit",
  role: "encoder",
  pythonClass: "BeitConfig",
  modelClass: "BeitModel",
  basePrefix: "beit",
  fields: BEIT_FIELDS,
  attributeMap: {},
  normalise: normaliseViTLike,
  weightSpecs,
  encoder: buildBeitEncoder,
};

/** A parsed BEiT config. */
export type BeitConfig = ModelConfig<BeitConfigFields>;
