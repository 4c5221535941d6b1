/**
 * `savePretrained(dir)`: a VisionEncoderDecoder model written in Hugging Face Hub layout, as
 * transformers' `save_pretrained` (v4.27) and Optimum's ONNX export lay it out, so that
 * transformers (Python), Optimum's `ORTModelForVision2Seq` and transformers.js 4.3.1 load it:
 *
 * - `config.json`: the VisionEncoderDecoderConfig as Python writes it (sorted keys, indent 2,
 *   `architectures: ["VisionEncoderDecoderModel"]` and `torch_dtype` filled in as
 *   `save_pretrained` does when unset);
 * - `generation_config.json`: the fields that differ from GenerationConfig's defaults (Python's
 *   `to_diff_dict`), derived from config.json with `_from_model_config` when none is given;
 * - `model.safetensors`: every tensor of the weight map, safetensors crate layout,
 *   `{"format": "pt"}` metadata as transformers writes it;
 * - the tokenizer and image-processor files of the source model, copied byte for byte;
 * - `onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx` (and on request the pair
 *   `onnx/decoder_model.onnx` + `onnx/decoder_with_past_model.onnx`): see optimum_export.ts.
 *
 * Atomic: everything is written into a temporary sibling folder that is renamed into place only
 * when complete (src/platform/replace_folder.ts); a failure (an unreadable source file, a full
 * disk) removes it and leaves `dir` as it was. An existing `dir` is replaced as Python's
 * `save_pretrained` overwrites it: files this save writes are replaced, earlier weights
 * (`model*.safetensors`, `pytorch_model*.bin`, their indexes) and the whole `onnx/` folder are
 * dropped (they would not match the new weights), and every other entry (README.md, `.git`,
 * other files) is kept.
 *
 * Memory: files are written one at a time as chunks that reference the weights' own bytes
 * (file_chunks.ts), so no second copy of the weights is assembled; only float dtypes other than
 * float32 are widened, one ONNX file's worth at a time, for the graphs.
 * @module
 */

import {
  defaultGenerationConfig,
  type GenerationConfig,
  generationConfigFromModelConfig,
} from "../config/generation_config.ts";
import { TRANSFORMERS_VERSION } from "../config/model_config.ts";
import type { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import type { Platform } from "../platform/platform.ts";
import { replaceFolder } from "../platform/replace_folder.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import { safetensorsChunks, yieldChunks } from "./file_chunks.ts";
import { type OptimumDecoderLayout, optimumExport } from "./optimum_export.ts";

/** Tokenizer and processor files copied from the source model when it has them. */
export const TOKENIZER_AND_PROCESSOR_FILES: readonly string[] = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
  "vocab.txt",
  "sentencepiece.bpe.model",
  "added_tokens.json",
  "preprocessor_config.json",
];

/** What to save. */
export interface SavePretrainedOptions {
  /** The model's config. */
  config: VisionEncoderDecoderConfig;
  /** The model's weights, by checkpoint name ("encoder.*", "decoder.*", ...). */
  weights: ReadonlyMap<string, WeightTensor>;
  /**
   * Generation defaults to write. Absent: the source's generation_config.json is copied when
   * `files` has one, else it is derived from the config (Python's `from_model_config`).
   */
  generationConfig?: GenerationConfig;
  /** The source model's files, to copy the tokenizer and processor files from. */
  files?: ModelFiles;
  /** File access (writeFileAtomic, mkdirp, joinPath). */
  platform: Platform;
  /** ONNX decoder files: "merged" (default), "pair", "both", or "none" for no onnx/ folder. */
  onnx?: OptimumDecoderLayout | "none";
}

/** Entries of an existing folder that a save replaces or drops rather than keeps. */
const OWNED_BY_SAVE =
  /^(config\.json|generation_config\.json|onnx|model(-\d{5}-of-\d{5})?\.safetensors|model\.safetensors\.index\.json|pytorch_model(-\d{5}-of-\d{5})?\.bin|pytorch_model\.bin\.index\.json)$/;

const FLOAT_DTYPES: Record<string, string> = { F32: "float32", F16: "float16", BF16: "bfloat16" };

/**
 * JSON as Python's `json.dumps(obj, indent=2, sort_keys=True)` lays it out (keys sorted at every
 * level, non-ASCII escaped), plus the trailing newline transformers adds.
 * @param value a JSON-ready value
 * @returns the text
 */
export function pythonJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => [k, sort(o[k])]),
      );
    }
    return v;
  };
  const text = JSON.stringify(sort(value), null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${text}\n`;
}

/**
 * config.json's content as `save_pretrained` writes it.
 * @param config the model config
 * @param weights the weights (their float dtype fills `torch_dtype` when unset)
 * @returns the JSON object
 */
export function savedConfigJson(
  config: VisionEncoderDecoderConfig,
  weights: ReadonlyMap<string, WeightTensor>,
): Record<string, unknown> {
  const json = config.toJSON();
  if (json.architectures == null) json.architectures = ["VisionEncoderDecoderModel"];
  if (json.torch_dtype == null) {
    const first = [...weights.values()].find((t) => t.dtype in FLOAT_DTYPES);
    if (first) json.torch_dtype = FLOAT_DTYPES[first.dtype];
  }
  return json;
}

/**
 * generation_config.json's content: Python's `GenerationConfig.to_diff_dict()`.
 * @param config the generation config
 * @param fromModelConfig whether it was derived from config.json (`_from_model_config`)
 * @returns the JSON object
 */
export function generationConfigJson(
  config: GenerationConfig,
  fromModelConfig = false,
): Record<string, unknown> {
  const defaults = defaultGenerationConfig() as unknown as Record<string, unknown>;
  const given = config as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    if (k === "seed" && v === null) continue;
    if (JSON.stringify(v) !== JSON.stringify(defaults[k])) out[k] = v;
  }
  if (fromModelConfig) out._from_model_config = true;
  out.transformers_version = TRANSFORMERS_VERSION;
  return out;
}

/**
 * Writes a model in Hub layout (see the module doc).
 * @param dir the destination folder (created when missing; an existing one is replaced whole,
 *   keeping the entries a save does not own: see the module doc)
 * @param options config, weights, generation config, source files, platform, ONNX layout
 * @returns the Hub-relative paths written, in write order
 * @example
 * ```ts
 * const written = await savePretrained("./out", { config, weights, files, platform });
 * // ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", ...]
 * ```
 */
export async function savePretrained(
  dir: string,
  options: SavePretrainedOptions,
): Promise<string[]> {
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError(`savePretrained() needs a folder path, got ${JSON.stringify(dir)}`);
  }
  const { config, weights, platform, files } = options;
  const layout = options.onnx ?? "merged";
  if (!["merged", "pair", "both", "none"].includes(layout)) {
    throw new RangeError(
      `onnx must be "merged", "pair", "both" or "none", got ${JSON.stringify(layout)}`,
    );
  }
  // Plan the ONNX files first: an unsupported model fails before anything is written.
  const exported = layout === "none"
    ? []
    : optimumExport(config, weights, { decoder: layout, source: files?.id }).files;
  return await replaceFolder(
    platform,
    dir,
    (tmp) => writeModel(tmp, options, exported),
    { carryOver: (name) => !OWNED_BY_SAVE.test(name) },
  );
}

/**
 * Writes every file of the model into a (fresh, temporary) folder.
 * @param dir the folder
 * @param options what to save
 * @param exported the planned ONNX files
 * @returns the Hub-relative paths written, in write order
 */
async function writeModel(
  dir: string,
  options: SavePretrainedOptions,
  exported: ReturnType<typeof optimumExport>["files"],
): Promise<string[]> {
  const { config, weights, platform, files } = options;
  const written: string[] = [];
  const enc = new TextEncoder();
  const write = async (path: string, bytes: Uint8Array | Uint8Array[]): Promise<void> => {
    const data = bytes instanceof Uint8Array ? bytes : yieldChunks(bytes);
    await platform.writeFileAtomic(platform.joinPath(dir, ...path.split("/")), data);
    written.push(path);
  };
  const configJson = savedConfigJson(config, weights);
  await write("config.json", enc.encode(pythonJson(configJson)));
  if (options.generationConfig) {
    await write(
      "generation_config.json",
      enc.encode(pythonJson(generationConfigJson(options.generationConfig))),
    );
  } else if (files && await files.has("generation_config.json")) {
    await write("generation_config.json", await files.read("generation_config.json"));
  } else {
    const derived = generationConfigFromModelConfig(configJson);
    await write(
      "generation_config.json",
      enc.encode(pythonJson(generationConfigJson(derived, true))),
    );
  }
  await write("model.safetensors", safetensorsChunks(weights, { format: "pt" }));
  if (files) {
    for (const path of TOKENIZER_AND_PROCESSOR_FILES) {
      if (await files.has(path)) await write(path, await files.read(path));
    }
  }
  if (exported.length) await platform.mkdirp(platform.joinPath(dir, "onnx"));
  for (const f of exported) await write(f.path, f.chunks());
  return written;
}
