/**
 * The graph set vedge builds for a VisionEncoderDecoder checkpoint: `encoder_model`
 * (pixel_values -> last_hidden_state), `cross_kv` (encoder states -> per-layer cross K/V, once per
 * image) and `decoder_step` (tokens + caches -> logits + new self-attention caches), dispatching
 * on each part's `model_type`. Families register in ENCODER_FAMILIES / DECODER_FAMILIES; an
 * unknown type is an UnsupportedModelError naming the supported ones.
 *
 * Memory: the builders reference the checkpoint's bytes; encode them one at a time
 * (`toBytes()`), hand each to its session, and drop the bytes before encoding the next.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import { type BeitEncoderFields, buildBeitEncoder } from "./beit.ts";
import { buildCrossKv, type CrossKvProjector, hasEncToDecProj } from "./cross_kv.ts";
import type { DecoderGeometry } from "./decoder_step.ts";
import {
  buildGpt2DecoderStep,
  type DecoderGraphOptions,
  GPT2_DEFAULTS,
  gpt2CrossKv,
  type Gpt2DecoderFields,
} from "./gpt2.ts";
import {
  buildTrOCRDecoderStep,
  TROCR_DEFAULTS,
  trocrCrossKv,
  type TrOCRDecoderFields,
} from "./trocr.ts";
import { buildVitEncoder, type EncoderGraphOptions, type ViTEncoderFields } from "./vit.ts";

type Weights = ReadonlyMap<string, WeightTensor>;
type Fields = Readonly<Record<string, unknown>>;

/** How to build one encoder family's graph. */
export interface EncoderFamily {
  /**
   * @param fields the encoder's config fields (Hugging Face names, defaults applied)
   * @param weights the checkpoint's tensors
   * @param options weight prefix ("encoder.") and source label
   * @returns the `encoder_model` graph
   */
  encoder(fields: Fields, weights: Weights, options: EncoderGraphOptions): GraphBuilder;
}

/** How to build one decoder family's graphs. */
export interface DecoderFamily {
  /**
   * @param fields the decoder's config fields
   * @param options weight prefix ("decoder.")
   * @returns the cross-attention K/V projections for buildCrossKv
   */
  crossKv(fields: Fields, options: DecoderGraphOptions): CrossKvProjector;
  /**
   * @param fields the decoder's config fields
   * @param weights the checkpoint's tensors
   * @param options weight prefix and source label
   * @returns the `decoder_step` graph
   */
  decoderStep(fields: Fields, weights: Weights, options: DecoderGraphOptions): GraphBuilder;
}

/** Encoder families by `model_type`. */
export const ENCODER_FAMILIES: Readonly<Record<string, EncoderFamily>> = {
  vit: { encoder: (f, w, o) => buildVitEncoder(f as unknown as ViTEncoderFields, w, o) },
  beit: { encoder: (f, w, o) => buildBeitEncoder(f as unknown as BeitEncoderFields, w, o) },
};

const gpt2 = (f: Fields): Gpt2DecoderFields => ({ ...GPT2_DEFAULTS, ...f });
const trocr = (f: Fields): TrOCRDecoderFields => ({ ...TROCR_DEFAULTS, ...f });

/** Decoder families by `model_type`. */
export const DECODER_FAMILIES: Readonly<Record<string, DecoderFamily>> = {
  gpt2: {
    crossKv: (f, o) => gpt2CrossKv(gpt2(f), o),
    decoderStep: (f, w, o) => buildGpt2DecoderStep(gpt2(f), w, o),
  },
  trocr: {
    crossKv: (f, o) => trocrCrossKv(trocr(f), o),
    decoderStep: (f, w, o) => buildTrOCRDecoderStep(trocr(f), w, o),
  },
};

/** One part of the config, as src/config's ModelConfig provides it. */
export interface ConfigPart {
  /** `model_type`. */
  readonly modelType: string;
  /** Fields with Hugging Face names and Python defaults applied. */
  readonly fields: object;
  /** Width of the hidden states this part outputs. */
  readonly hiddenSize: number;
}

/** The graphs of one VisionEncoderDecoder model. */
export interface DecoderGraphSet {
  /** `encoder_model`: pixel_values -> last_hidden_state. */
  encoder: GraphBuilder;
  /** `cross_kv`: encoder_hidden_states -> present.{i}.encoder.key|value. */
  crossKv: GraphBuilder;
  /** `decoder_step`: input_ids + past_key_values.* -> logits + present.{i}.decoder.*. */
  decoderStep: GraphBuilder;
  /** Layers, heads, head size, hidden size and vocabulary of the decoder. */
  geometry: DecoderGeometry;
}

/**
 * Builds the graph set of a VisionEncoderDecoder checkpoint.
 * @param config the encoder and decoder configs (e.g. a VisionEncoderDecoderConfig)
 * @param weights the checkpoint's tensors ("encoder.*", "decoder.*", "enc_to_dec_proj.*")
 * @param options `source`: the checkpoint's name for error messages
 * @returns the three graphs and the decoder geometry
 * @throws UnsupportedModelError for an encoder or decoder type without a family here
 */
export function buildDecoderGraphs(
  config: { readonly encoder: ConfigPart; readonly decoder: ConfigPart },
  weights: Weights,
  options: { source?: string } = {},
): DecoderGraphSet {
  const encoderFamily = ENCODER_FAMILIES[config.encoder.modelType];
  if (!encoderFamily) {
    throw new UnsupportedModelError(
      `Cannot build an encoder graph for model_type "${config.encoder.modelType}": vedge builds ` +
        `${Object.keys(ENCODER_FAMILIES).join(", ")}`,
    );
  }
  const decoderFamily = DECODER_FAMILIES[config.decoder.modelType];
  if (!decoderFamily) {
    throw new UnsupportedModelError(
      `Cannot build decoder graphs for model_type "${config.decoder.modelType}": vedge builds ` +
        `${Object.keys(DECODER_FAMILIES).join(", ")}`,
    );
  }
  const encFields = config.encoder.fields as Fields;
  const decFields = config.decoder.fields as Fields;
  const source = options.source;
  const projector = decoderFamily.crossKv(decFields, { prefix: "decoder." });
  const crossHidden = decFields.cross_attention_hidden_size as number | null | undefined;
  const encToDecProj = hasEncToDecProj(
    config.encoder.hiddenSize,
    config.decoder.hiddenSize,
    crossHidden,
  );
  return {
    encoder: encoderFamily.encoder(encFields, weights, { prefix: "encoder.", source }),
    crossKv: buildCrossKv(projector, weights, {
      encoderHidden: config.encoder.hiddenSize,
      encToDecProj,
      source,
    }),
    decoderStep: decoderFamily.decoderStep(decFields, weights, { prefix: "decoder.", source }),
    geometry: projector.geometry,
  };
}
