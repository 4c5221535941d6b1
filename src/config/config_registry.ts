/**
 * Turns a config dict into the right family's ModelConfig: its `model_type` picks the family in
 * src/families/index.ts, the one registry.
 * @module
 */
import { UnsupportedModelError } from "../errors.ts";
import { familyOf, supportedModelTypes } from "../families/index.ts";
import { type ConfigFamily, ModelConfig } from "./model_config.ts";
import type { PretrainedConfigFields } from "./pretrained_config.ts";

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
  const family: ConfigFamily = familyOf(type, options.role, `Cannot load ${where}`);
  return new ModelConfig(family, dict, `${where} (${type})`);
}

/**
 * Narrows a config to one family, so its Hugging Face fields are typed.
 * @param config a parsed config
 * @param family the family to test for, e.g. GPT2_FAMILY
 * @returns whether the config is of that family
 * @example
 * ```ts
 * import { GPT2_FAMILY } from "../families/gpt2.ts";
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
