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
import * as bart from "./bart.ts";
import * as beit from "./beit.ts";
import * as bert from "./bert.ts";
import { buildCrossKv, type CrossKvProjector, hasEncToDecProj } from "./cross_kv.ts";
import * as deit from "./deit.ts";
import type { DecoderGeometry } from "./decoder_step.ts";
import * as gpt2 from "./gpt2.ts";
import type { DecoderGraphOptions } from "./gpt2.ts";
import * as mbart from "./mbart.ts";
import * as roberta from "./roberta.ts";
import * as swin from "./swin.ts";
import * as trocr from "./trocr.ts";
import * as vit from "./vit.ts";
import type { EncoderGraphOptions } from "./vit.ts";
import {
  linearSpecs,
  type WeightInit,
  type WeightSpec,
  type WeightSpecOptions,
} from "./weight_specs.ts";

type Weights = ReadonlyMap<string, WeightTensor>;
type Fields = Readonly<Record<string, unknown>>;

/** How to build one encoder family's graph and list its checkpoint tensors. */
export interface EncoderFamily {
  /**
   * @param fields the encoder's config fields (Hugging Face names, defaults applied)
   * @param weights the checkpoint's tensors
   * @param options weight prefix ("encoder.") and source label
   * @returns the `encoder_model` graph
   */
  encoder(fields: Fields, weights: Weights, options: EncoderGraphOptions): GraphBuilder;
  /**
   * @param fields the encoder's config fields
   * @param options name prefix ("encoder.")
   * @returns the tensors a checkpoint holds for this encoder
   */
  weightSpecs(fields: Fields, options: WeightSpecOptions): WeightSpec[];
}

/** How to build one decoder family's graphs and list its checkpoint tensors. */
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
  /**
   * @param fields the decoder's config fields
   * @param options name prefix ("decoder.")
   * @returns the tensors a checkpoint holds for this decoder
   */
  weightSpecs(fields: Fields, options: WeightSpecOptions): WeightSpec[];
}

const as = <T>(f: Fields): T => f as unknown as T;
type VitF = vit.ViTEncoderFields;
type SwinF = swin.SwinEncoderFields;

/** Encoder families by `model_type`. */
export const ENCODER_FAMILIES: Readonly<Record<string, EncoderFamily>> = {
  vit: {
    encoder: (f, w, o) => vit.buildVitEncoder(as<VitF>(f), w, o),
    weightSpecs: (f, o) => vit.weightSpecs(as<VitF>(f), o),
  },
  deit: {
    encoder: (f, w, o) => deit.buildDeitEncoder(as<VitF>(f), w, o),
    weightSpecs: (f, o) => deit.weightSpecs(as<VitF>(f), o),
  },
  beit: {
    encoder: (f, w, o) => beit.buildBeitEncoder(as<beit.BeitEncoderFields>(f), w, o),
    weightSpecs: (f, o) => beit.weightSpecs(as<beit.BeitEncoderFields>(f), o),
  },
  swin: {
    encoder: (f, w, o) => swin.buildSwinEncoder(as<SwinF>(f), w, { ...o, flavour: "swin" }),
    weightSpecs: (f, o) => swin.weightSpecs(as<SwinF>(f), o, "swin"),
  },
  "donut-swin": {
    encoder: (f, w, o) => swin.buildSwinEncoder(as<SwinF>(f), w, { ...o, flavour: "donut-swin" }),
    weightSpecs: (f, o) => swin.weightSpecs(as<SwinF>(f), o, "donut-swin"),
  },
};

const gpt2F = (f: Fields): gpt2.Gpt2DecoderFields => ({ ...gpt2.GPT2_DEFAULTS, ...f });
const trocrF = (f: Fields): trocr.TrOCRDecoderFields => ({ ...trocr.TROCR_DEFAULTS, ...f });
const bertF = (f: Fields): bert.BertDecoderFields => ({ ...bert.BERT_DEFAULTS, ...f });
const robertaF = (f: Fields): bert.BertDecoderFields => ({ ...roberta.ROBERTA_DEFAULTS, ...f });
const bartF = (f: Fields): bart.BartDecoderFields => ({ ...bart.BART_DEFAULTS, ...f });

/** Decoder families by `model_type`. */
export const DECODER_FAMILIES: Readonly<Record<string, DecoderFamily>> = {
  gpt2: {
    crossKv: (f, o) => gpt2.gpt2CrossKv(gpt2F(f), o),
    decoderStep: (f, w, o) => gpt2.buildGpt2DecoderStep(gpt2F(f), w, o),
    weightSpecs: (f, o) => gpt2.weightSpecs(gpt2F(f), o),
  },
  bert: {
    crossKv: (f, o) => bert.bertCrossKv(bertF(f), o),
    decoderStep: (f, w, o) => bert.buildBertDecoderStep(bertF(f), w, o),
    weightSpecs: (f, o) => bert.weightSpecs(bertF(f), o),
  },
  roberta: {
    crossKv: (f, o) => roberta.robertaCrossKv(robertaF(f), o),
    decoderStep: (f, w, o) => roberta.buildRobertaDecoderStep(robertaF(f), w, o),
    weightSpecs: (f, o) => roberta.weightSpecs(robertaF(f), o),
  },
  trocr: {
    crossKv: (f, o) => trocr.trocrCrossKv(trocrF(f), o),
    decoderStep: (f, w, o) => trocr.buildTrOCRDecoderStep(trocrF(f), w, o),
    weightSpecs: (f, o) => trocr.weightSpecs(trocrF(f), o),
  },
  bart: {
    crossKv: (f, o) => bart.bartCrossKv(bartF(f), o),
    decoderStep: (f, w, o) => bart.buildBartDecoderStep(bartF(f), w, o),
    weightSpecs: (f, o) => bart.weightSpecs(bartF(f), o),
  },
  mbart: {
    crossKv: (f, o) => bart.bartCrossKv(bartF(f), o),
    decoderStep: (f, w, o) => mbart.buildMBartDecoderStep(bartF(f), w, o),
    weightSpecs: (f, o) => mbart.weightSpecs(bartF(f), o),
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
  const { encoderFamily, decoderFamily } = families(config);
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

function families(
  config: { readonly encoder: ConfigPart; readonly decoder: ConfigPart },
): { encoderFamily: EncoderFamily; decoderFamily: DecoderFamily } {
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
  return { encoderFamily, decoderFamily };
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
  const { encoderFamily, decoderFamily } = families(config);
  const decFields = config.decoder.fields as Fields;
  const specs = [
    ...encoderFamily.weightSpecs(config.encoder.fields as Fields, { prefix: "encoder." }),
    ...decoderFamily.weightSpecs(decFields, { prefix: "decoder." }),
  ];
  const enc = config.encoder.hiddenSize, dec = config.decoder.hiddenSize;
  const crossHidden = decFields.cross_attention_hidden_size as number | null | undefined;
  if (hasEncToDecProj(enc, dec, crossHidden)) {
    const init: WeightInit = { kind: "uniform", bound: 1 / Math.sqrt(enc) };
    specs.push(
      ...linearSpecs("enc_to_dec_proj", [dec, enc], init).map((s) => ({ ...s, init })),
    );
  }
  return specs;
}
