/**
 * The `cross_kv` graph, generic over decoder families: encoder states -> each decoder layer's
 * cross-attention keys and values, computed once per image (ARCHITECTURE.md "Cross-attention
 * keys/values: computed once").
 *
 * Input `encoder_hidden_states` float32 [images, enc_seq, enc_hidden]; outputs
 * `present.{i}.encoder.key` and `present.{i}.encoder.value` [images, heads, enc_seq, head_dim]
 * for each layer i (key, value, next layer), exactly what `decoder_step` takes as
 * `past_key_values.{i}.encoder.*`. VisionEncoderDecoderModel's `enc_to_dec_proj`
 * (weight `enc_to_dec_proj.weight|bias`) is applied first when the encoder's hidden size differs
 * from the decoder's and the decoder has no cross_attention_hidden_size.
 * @module
 */

import { GraphBuilder } from "../../graph/builder.ts";
import { GraphWeights } from "../../graph/graph_weights.ts";
import { linear } from "../../graph/linear.ts";
import { splitHeads } from "../../graph/attention.ts";
import type { WeightTensor } from "../../weights/weight_tensor.ts";
import type { DecoderGeometry } from "./decoder_step.ts";

/** A decoder family's cross-attention key/value projections. */
export interface CrossKvProjector {
  /** The decoder's geometry. */
  geometry: DecoderGeometry;
  /** Width of the states the projections read (cross_attention_hidden_size, else hidden). */
  inputSize: number;
  /**
   * Projects token-major states [images * enc_seq, inputSize] to layer i's keys and values,
   * token-major [images * enc_seq, hidden].
   * @param b the graph
   * @param w the checkpoint weights
   * @param states token-major encoder states
   * @param layer layer index
   * @returns token-major key and value
   */
  project(b: GraphBuilder, w: GraphWeights, states: string, layer: number): {
    key: string;
    value: string;
  };
}

/** Options of {@link buildCrossKv}. */
export interface CrossKvOptions {
  /** The encoder's hidden size (width of `encoder_hidden_states`). */
  encoderHidden: number;
  /** Whether to apply `enc_to_dec_proj` first (VisionEncoderDecoderModel's rule). */
  encToDecProj: boolean;
  /** Checkpoint description for error messages. */
  source?: string;
}

/**
 * VisionEncoderDecoderModel's rule for `enc_to_dec_proj`.
 * @param encoderHidden encoder hidden_size
 * @param decoderHidden decoder hidden_size
 * @param crossAttentionHiddenSize decoder cross_attention_hidden_size (null when unset)
 * @returns whether the projection exists
 */
export function hasEncToDecProj(
  encoderHidden: number,
  decoderHidden: number,
  crossAttentionHiddenSize: number | null | undefined,
): boolean {
  return encoderHidden !== decoderHidden && crossAttentionHiddenSize == null;
}

/**
 * Builds the `cross_kv` graph.
 * @param projector the decoder family's projections
 * @param weights the checkpoint's tensors
 * @param options encoder width and enc_to_dec_proj
 * @returns the graph
 */
export function buildCrossKv(
  projector: CrossKvProjector,
  weights: ReadonlyMap<string, WeightTensor>,
  options: CrossKvOptions,
): GraphBuilder {
  const { layers, heads, headDim, hidden } = projector.geometry;
  const b = new GraphBuilder({ name: "cross_kv" });
  const w = new GraphWeights(b, weights, options.source);
  const enc = b.input("encoder_hidden_states", "float32", [
    "images",
    "enc_seq",
    options.encoderHidden,
  ]);
  const imagesSeq = b.shape(enc, 0, 2);
  let states = b.reshape(enc, [-1, options.encoderHidden]);
  if (options.encToDecProj) {
    states = linear(
      b,
      states,
      w.f32("enc_to_dec_proj.weight", [hidden, options.encoderHidden]),
      w.f32("enc_to_dec_proj.bias", [hidden]),
    );
  } else if (options.encoderHidden !== projector.inputSize) {
    throw new RangeError(
      `cross_kv: encoder states are ${options.encoderHidden} wide but the decoder's ` +
        `cross-attention reads ${projector.inputSize} and there is no enc_to_dec_proj`,
    );
  }
  const dims = ["images", heads, "enc_seq", headDim];
  for (let i = 0; i < layers; i++) {
    b.withScope(`layer.${i}`, () => {
      const { key, value } = projector.project(b, w, states, i);
      b.output(
        `present.${i}.encoder.key`,
        splitHeads(b, key, imagesSeq, heads, headDim),
        "float32",
        dims,
      );
      b.output(
        `present.${i}.encoder.value`,
        splitHeads(b, value, imagesSeq, heads, headDim),
        "float32",
        dims,
      );
    });
  }
  return b;
}
