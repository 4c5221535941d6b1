/**
 * The graph set vedge builds for a VisionEncoderDecoder checkpoint: `encoder_model`
 * (pixel_values -> last_hidden_state), `cross_kv` (encoder states -> per-layer cross K/V, once per
 * image) and `decoder_step` (tokens + caches -> logits + new self-attention caches), dispatching
 * on each part's `model_type` through the registry (index.ts); an unknown type is an
 * UnsupportedModelError naming the supported ones.
 *
 * Memory: the builders reference the checkpoint's bytes; encode them one at a time
 * (`toBytes()`), hand each to its session, and drop the bytes before encoding the next.
 * @module
 */

import type { GraphBuilder } from "../graph/builder.ts";
import type { PretrainedConfigFields } from "../config/pretrained_config.ts";
import type { Weights } from "./family.ts";
import { decoderFamily, encoderFamily } from "./index.ts";
import { buildCrossKv, hasEncToDecProj } from "./shared/cross_kv.ts";
import type { DecoderGeometry } from "./shared/decoder_step.ts";
import { linearSpecs, type WeightInit, type WeightSpec } from "./shared/weight_specs.ts";

/** One part of the config, as src/config's ModelConfig provides it. */
export interface ConfigPart {
  /** `model_type`. */
  readonly modelType: string;
  /** Fields with Hugging Face names and Python defaults applied. */
  readonly fields: Readonly<PretrainedConfigFields>;
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
  const enc = encoderFamily(config.encoder.modelType, "Cannot build an encoder graph");
  const dec = decoderFamily(config.decoder.modelType, "Cannot build decoder graphs");
  const encFields = config.encoder.fields;
  const decFields = config.decoder.fields;
  const source = options.source;
  const projector = dec.crossKv(decFields, { prefix: "decoder." });
  const crossHidden = decFields.cross_attention_hidden_size;
  const encToDecProj = hasEncToDecProj(
    config.encoder.hiddenSize,
    config.decoder.hiddenSize,
    crossHidden,
  );
  return {
    encoder: enc.encoder(encFields, weights, { prefix: "encoder.", source }),
    crossKv: buildCrossKv(projector, weights, {
      encoderHidden: config.encoder.hiddenSize,
      encToDecProj,
      source,
    }),
    decoderStep: dec.decoderStep(decFields, weights, { prefix: "decoder.", source }),
    geometry: projector.geometry,
  };
}

/**
 * Every tensor of a VisionEncoderDecoder checkpoint: the encoder's (`encoder.*`), the decoder's
 * (`decoder.*`) and, when the hidden sizes differ and the decoder has no
 * cross_attention_hidden_size, `enc_to_dec_proj.weight|bias`. VisionEncoderDecoderModel creates
 * that Linear itself and has no _init_weights of its own, so a fresh one keeps torch's default
 * nn.Linear init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
 * @param config the encoder and decoder configs (e.g. a VisionEncoderDecoderConfig)
 * @returns the specs, encoder first
 * @throws UnsupportedModelError for an encoder or decoder type without a family here
 */
export function visionEncoderDecoderWeightSpecs(
  config: { readonly encoder: ConfigPart; readonly decoder: ConfigPart },
): WeightSpec[] {
  const encFamily = encoderFamily(config.encoder.modelType, "Cannot list the encoder's weights");
  const decFamily = decoderFamily(config.decoder.modelType, "Cannot list the decoder's weights");
  const decFields = config.decoder.fields;
  const specs = [
    ...encFamily.weightSpecs(config.encoder.fields, { prefix: "encoder." }),
    ...decFamily.weightSpecs(decFields, { prefix: "decoder." }),
  ];
  const enc = config.encoder.hiddenSize, dec = config.decoder.hiddenSize;
  const crossHidden = decFields.cross_attention_hidden_size;
  if (hasEncToDecProj(enc, dec, crossHidden)) {
    const init: WeightInit = { kind: "uniform", bound: 1 / Math.sqrt(enc) };
    specs.push(
      ...linearSpecs("enc_to_dec_proj", [dec, enc], init).map((s) => ({ ...s, init })),
    );
  }
  return specs;
}
