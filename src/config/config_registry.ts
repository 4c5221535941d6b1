/**
 * The model families vedge knows, by `model_type`, split into vision encoders and text decoders;
 * the one place that turns a config dict into the right family's ModelConfig.
 * @module
 */
import { UnsupportedModelError } from "../errors.ts";
import { BART_FAMILY } from "./bart_config.ts";
import { BEIT_FAMILY } from "./beit_config.ts";
import { BERT_FAMILY } from "./bert_config.ts";
import { DEIT_FAMILY } from "./deit_config.ts";
import { DONUT_SWIN_FAMILY } from "./donut_swin_config.ts";
import { GPT2_FAMILY } from "./gpt2_config.ts";
import { MBART_FAMILY } from "./mbart_config.ts";
import { type ConfigFamily, ModelConfig } from "./model_config.ts";
import type { PretrainedConfigFields } from "./pretrained_config.ts";
import { ROBERTA_FAMILY } from "./roberta_config.ts";
import { SWIN_FAMILY } from "./swin_config.ts";
import { TROCR_FAMILY } from "./trocr_config.ts";
import { VIT_FAMILY } from "./vit_config.ts";

/** Vision encoders, in the order messages list them. */
export const ENCODER_FAMILIES: readonly ConfigFamily[] = [
  VIT_FAMILY,
  DEIT_FAMILY,
  BEIT_FAMILY,
  SWIN_FAMILY,
  DONUT_SWIN_FAMILY,
] as ConfigFamily[];

/** Text decoders, in the order messages list them. */
export const DECODER_FAMILIES: readonly ConfigFamily[] = [
  GPT2_FAMILY,
  BERT_FAMILY,
  ROBERTA_FAMILY,
  TROCR_FAMILY,
  BART_FAMILY,
  MBART_FAMILY,
] as ConfigFamily[];

/**
 * The `model_type`s supported for a role.
 * @param role "encoder", "decoder", or undefined for both
 * @returns the model types
 */
export function supportedModelTypes(role?: "encoder" | "decoder"): string[] {
  const fams = role === "encoder"
    ? ENCODER_FAMILIES
    : role === "decoder"
    ? DECODER_FAMILIES
    : [...ENCODER_FAMILIES, ...DECODER_FAMILIES];
  return fams.map((f) => f.modelType);
}

/**
 * Finds the family of a `model_type`; unknown types (or a decoder asked for as an encoder) are an
 * UnsupportedModelError naming the type and listing the supported ones.
 * @param modelType `model_type` from config.json
 * @param role restricts to encoders or decoders
 * @param where what is being read, for the message
 * @returns the family
 */
export function configFamily(
  modelType: string,
  role?: "encoder" | "decoder",
  where = "config",
): ConfigFamily {
  const all = [...ENCODER_FAMILIES, ...DECODER_FAMILIES];
  const fam = all.find((f) => f.modelType === modelType);
  if (fam === undefined || (role !== undefined && fam.role !== role)) {
    const what = role === "encoder"
      ? "vision encoder"
      : role === "decoder"
      ? "text decoder"
      : "model";
    throw new UnsupportedModelError(
      `Cannot load ${where}: model_type ${JSON.stringify(modelType)} is not a supported ${what}; ` +
        `supported: ${supportedModelTypes(role).join(", ")}`,
    );
  }
  return fam;
}

/**
 * Parses one family's config dict (its `model_type` picks the family).
 * @param dict the config.json object
 * @param options `role` to require an encoder or decoder; `where` labels messages
 * @returns the validated config
 */
export function parseModelConfig(
  dict: Readonly<Record<string, unknown>>,
  options: { role?: "encoder" | "decoder"; where?: string } = {},
): ModelConfig {
  const where = options.where ?? "config";
  const type = dict.model_type;
  if (typeof type !== "string") {
    throw new UnsupportedModelError(
      `Cannot load ${where}: it has no model_type string (found ${JSON.stringify(type)}); ` +
        `supported: ${supportedModelTypes(options.role).join(", ")}`,
    );
  }
  return new ModelConfig(configFamily(type, options.role, where), dict, `${where} (${type})`);
}

/**
 * Narrows a config to one family, so its Hugging Face fields are typed.
 * @param config a parsed config
 * @param family the family to test for, e.g. GPT2_FAMILY
 * @returns whether the config is of that family
 * @example
 * ```ts
 * import { GPT2_FAMILY } from "./gpt2_config.ts";
 * import { isFamily, parseModelConfig } from "./config_registry.ts";
 * const c = parseModelConfig({ model_type: "gpt2", n_embd: 64, n_head: 4 });
 * if (isFamily(c, GPT2_FAMILY)) console.assert(c.fields.n_embd === 64);
 * ```
 */
export function isFamily<F extends PretrainedConfigFields>(
  config: ModelConfig,
  family: ConfigFamily<F>,
): config is ModelConfig<F> {
  return config.modelType === family.modelType;
}
