/**
 * DeiT encoder (Touvron et al. 2020, "Training data-efficient image transformers & distillation
 * through attention"; model card facebook/deit-base-distilled-patch16-224, the encoder of
 * microsoft/trocr-small-*; transformers v4.27 modeling_deit.py, DeiTModel), as the encoder of a
 * VisionEncoderDecoderModel. Emits the graph `encoder_model`:
 * `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state` float32
 * [batch, 2 + patches, hidden]: DeiTModel's output 0, after the final `layernorm`, keeping both
 * the CLS and the distillation token (VisionEncoderDecoder cross-attends to the whole sequence).
 *
 * Differences from ViT: a `distillation_token` after `cls_token`, so the position table has
 * patches + 2 rows; the layers are ViT's (pre-LayerNorm, qkv_bias) and reuse `vitLayer`.
 *
 * Checkpoint names (prefix "encoder." inside VisionEncoderDecoder checkpoints):
 * `embeddings.cls_token`, `embeddings.distillation_token`, `embeddings.position_embeddings`,
 * `embeddings.patch_embeddings.projection.{weight,bias}`,
 * `encoder.layer.{i}.{layernorm_before,layernorm_after}.*`,
 * `encoder.layer.{i}.attention.attention.{query,key,value}.*`,
 * `encoder.layer.{i}.attention.output.dense.*`, `encoder.layer.{i}.intermediate.dense.*`,
 * `encoder.layer.{i}.output.dense.*`, `layernorm.*`, `pooler.dense.*` (unused here).
 * @module
 */

import { GraphBuilder } from "../graph/builder.ts";
import { GraphWeights } from "../graph/graph_weights.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import {
  type EncoderGraphOptions,
  finishEncoder,
  imageGeometry,
  imageInput,
  patchEmbeddings,
  prependTokens,
  type ViTEncoderFields,
  vitLayer,
  type VitLayerShape,
  vitLayerSpecs,
} from "./vit.ts";
import {
  layerNormSpecs,
  linearSpecs,
  param,
  truncNormalInit,
  type WeightSpec,
  type WeightSpecOptions,
  ZEROS,
} from "./weight_specs.ts";

/** The DeiTConfig fields the graph reads: ViTConfig's (Hugging Face names). */
export type DeiTEncoderFields = ViTEncoderFields;

/**
 * Builds the DeiT `encoder_model` graph.
 * @param fields the encoder's config fields
 * @param weights the checkpoint's tensors
 * @param options weight prefix and source label
 * @returns the graph (call `toBytes()` for the ONNX model)
 */
export function buildDeitEncoder(
  fields: DeiTEncoderFields,
  weights: ReadonlyMap<string, WeightTensor>,
  options: EncoderGraphOptions = {},
): GraphBuilder {
  const pre = options.prefix ?? "encoder.";
  const b = new GraphBuilder({ name: "deit_encoder" });
  const w = new GraphWeights(b, weights, options.source);
  const g = imageGeometry(fields);
  const hidden = fields.hidden_size;
  const seq = g.patches + 2;
  const pixels = imageInput(b, g);
  const patches = patchEmbeddings(
    b,
    w,
    pixels,
    `${pre}embeddings.patch_embeddings.projection`,
    g,
    hidden,
  );
  // DeiTEmbeddings.forward: cat((cls_tokens, distillation_tokens, embeddings), dim=1) + positions
  const tokens = [
    w.f32(`${pre}embeddings.cls_token`, [1, 1, hidden]),
    w.f32(`${pre}embeddings.distillation_token`, [1, 1, hidden]),
  ];
  const embedded = b.add(
    prependTokens(b, patches, tokens, hidden),
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

/**
 * The checkpoint tensors of a DeiTModel (add_pooling_layer=True, as VisionEncoderDecoder builds
 * it). v4.27's _init_weights: trunc_normal(initializer_range) for Linear/Conv2d weights, zero
 * biases, unit LayerNorms; unlike ViT it has no embeddings branch, so `cls_token`,
 * `distillation_token` and `position_embeddings` stay the zeros they are created as.
 * @param fields the encoder's config fields
 * @param options name prefix (default "encoder.")
 * @returns the specs
 */
export function weightSpecs(
  fields: DeiTEncoderFields,
  options: WeightSpecOptions = {},
): WeightSpec[] {
  const pre = options.prefix ?? "encoder.";
  const g = imageGeometry(fields);
  const h = fields.hidden_size;
  const init = truncNormalInit(fields.initializer_range ?? 0.02);
  const qkvBias = fields.qkv_bias ?? true;
  const specs: WeightSpec[] = [
    param(`${pre}embeddings.cls_token`, [1, 1, h], ZEROS),
    param(`${pre}embeddings.distillation_token`, [1, 1, h], ZEROS),
    param(`${pre}embeddings.position_embeddings`, [1, g.patches + 2, h], ZEROS),
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
