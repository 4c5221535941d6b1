/**
 * A model's generation defaults as Python's `GenerationConfig.from_pretrained` finds them:
 * generation_config.json when the repository has one, else derived from config.json.
 * @module
 */
import type { ModelFiles } from "../hub/model_files.ts";
import { readJson } from "../hub/model_files.ts";
import {
  type GenerationConfig,
  generationConfigFromModelConfig,
  parseGenerationConfig,
} from "./generation_config.ts";

/**
 * Loads the generation defaults of a model.
 * @param files the model's files
 * @param modelConfig config.json, already read
 * @returns the generation config
 */
export async function loadGenerationConfig(
  files: ModelFiles,
  modelConfig: unknown,
): Promise<GenerationConfig> {
  if (await files.has("generation_config.json")) {
    return parseGenerationConfig(await readJson(files, "generation_config.json"));
  }
  return generationConfigFromModelConfig(modelConfig);
}
