/**
 * The model families vedge knows: the only registry. Config parsing (src/config), graph building
 * (model_graphs.ts), random initialisation, joining two checkpoints (src/model) and export
 * (src/export) all look families up here by `model_type`. Adding a family is one file exporting
 * one descriptor (see family.ts and ARCHITECTURE.md) and one line in the lists below.
 * @module
 */
import { UnsupportedModelError } from "../errors.ts";
import { BART_FAMILY } from "./bart.ts";
import { BEIT_FAMILY } from "./beit.ts";
import { BERT_FAMILY } from "./bert.ts";
import { DEIT_FAMILY } from "./deit.ts";
import { DONUT_SWIN_FAMILY } from "./donut_swin.ts";
import type { DecoderFamily, EncoderFamily, Family } from "./family.ts";
import { GPT2_FAMILY } from "./gpt2.ts";
import { MBART_FAMILY } from "./mbart.ts";
import { ROBERTA_FAMILY } from "./roberta.ts";
import { SWIN_FAMILY } from "./swin.ts";
import { TROCR_FAMILY } from "./trocr.ts";
import { VIT_FAMILY } from "./vit.ts";

/** Vision encoders, in the order messages list them. */
export const ENCODER_FAMILIES: readonly EncoderFamily[] = [
  VIT_FAMILY,
  DEIT_FAMILY,
  BEIT_FAMILY,
  SWIN_FAMILY,
  DONUT_SWIN_FAMILY,
];

/** Text decoders, in the order messages list them. */
export const DECODER_FAMILIES: readonly DecoderFamily[] = [
  GPT2_FAMILY,
  BERT_FAMILY,
  ROBERTA_FAMILY,
  TROCR_FAMILY,
  BART_FAMILY,
  MBART_FAMILY,
];

/**
 * The `model_type`s supported for a role.
 * @param role "encoder", "decoder", or undefined for both
 * @returns the model types
 */
export function supportedModelTypes(role?: "encoder" | "decoder"): string[] {
  const fams: readonly Family[] = role === "encoder"
    ? ENCODER_FAMILIES
    : role === "decoder"
    ? DECODER_FAMILIES
    : [...ENCODER_FAMILIES, ...DECODER_FAMILIES];
  return fams.map((f) => f.modelType);
}

/**
 * The family of a `model_type`, if vedge has one.
 * @param modelType `model_type` from config.json
 * @returns the family, or undefined
 */
export function findFamily(modelType: string): Family | undefined {
  return [...ENCODER_FAMILIES, ...DECODER_FAMILIES].find((f) => f.modelType === modelType);
}

/**
 * The family of a `model_type`, optionally in one role; anything else is an
 * UnsupportedModelError naming the type and listing the supported ones.
 * @param modelType `model_type` from config.json
 * @param role the role the family must have (undefined: either)
 * @param action what was attempted, opening the message (e.g. "Cannot load config.json")
 * @returns the family
 */
export function familyOf(
  modelType: string,
  role: "encoder" | "decoder" | undefined,
  action: string,
): Family {
  const fam = findFamily(modelType);
  if (fam === undefined || (role !== undefined && fam.role !== role)) {
    const what = role === "encoder"
      ? "vision encoder"
      : role === "decoder"
      ? "text decoder"
      : "model";
    throw new UnsupportedModelError(
      `${action}: model_type ${JSON.stringify(modelType)} is not a supported ${what}; ` +
        `supported: ${supportedModelTypes(role).join(", ")}`,
    );
  }
  return fam;
}

/**
 * The encoder family of a `model_type` (UnsupportedModelError for anything else).
 * @param modelType `model_type` of the encoder config
 * @param action what was attempted, opening the message
 * @returns the family
 */
export function encoderFamily(
  modelType: string,
  action = "Cannot use the encoder",
): EncoderFamily {
  const fam = familyOf(modelType, "encoder", action);
  if (fam.role !== "encoder") throw new TypeError(`${modelType} is not an encoder`);
  return fam;
}

/**
 * The decoder family of a `model_type` (UnsupportedModelError for anything else).
 * @param modelType `model_type` of the decoder config
 * @param action what was attempted, opening the message
 * @returns the family
 */
export function decoderFamily(
  modelType: string,
  action = "Cannot use the decoder",
): DecoderFamily {
  const fam = familyOf(modelType, "decoder", action);
  if (fam.role !== "decoder") throw new TypeError(`${modelType} is not a decoder`);
  return fam;
}
