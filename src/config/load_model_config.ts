/**
 * Reads a model's config.json into the matching config class: a VisionEncoderDecoderConfig, or
 * a single family's config (a lone encoder or decoder checkpoint, for joining two of them).
 * @module
 */
import { type ModelFiles, readJson } from "../hub/model_files.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { asRecord } from "./config_fields.ts";
import { supportedModelTypes } from "../families/index.ts";
import { parseModelConfig } from "./config_registry.ts";
import type { ModelConfig } from "./model_config.ts";
import {
  VISION_ENCODER_DECODER_TYPE,
  VisionEncoderDecoderConfig,
} from "./vision_encoder_decoder_config.ts";

/** What a config.json can hold. */
export type LoadedConfig = VisionEncoderDecoderConfig | ModelConfig;

/**
 * Parses a config dict: "vision-encoder-decoder" or one of the supported families.
 * @param dict the parsed config.json
 * @param where label for messages
 * @returns the config
 */
export function parseConfig(dict: unknown, where = "config.json"): LoadedConfig {
  const d = asRecord(dict, where);
  if (d.model_type === VISION_ENCODER_DECODER_TYPE) {
    return VisionEncoderDecoderConfig.fromDict(d, where);
  }
  if (typeof d.model_type !== "string") {
    throw new ModelLoadError(
      `Cannot read ${where}: it has no "model_type" string (found ${JSON.stringify(d.model_type)})`,
    );
  }
  try {
    return parseModelConfig(d, { where });
  } catch (e) {
    if (!(e instanceof UnsupportedModelError)) throw e;
    throw new UnsupportedModelError(
      `Cannot load ${where}: model_type ${JSON.stringify(d.model_type)} is not supported; ` +
        `supported: ${VISION_ENCODER_DECODER_TYPE}, ${supportedModelTypes().join(", ")}`,
      { cause: e },
    );
  }
}

/**
 * Reads `config.json` of a model.
 * @param files the model's files
 * @returns a VisionEncoderDecoderConfig, or one family's ModelConfig
 * @example
 * ```ts
 * import { memoryFiles } from "../hub/model_files.ts";
 * import { loadModelConfig } from "./load_model_config.ts";
 * const files = memoryFiles("m", { "config.json": '{"model_type": "vit", "hidden_size": 64, "num_attention_heads": 4}' });
 * const config = await loadModelConfig(files);
 * console.assert(config.modelType === "vit");
 * ```
 */
export async function loadModelConfig(files: ModelFiles): Promise<LoadedConfig> {
  const where = `config.json of ${files.id}`;
  return parseConfig(await readJson(files, "config.json"), where);
}
