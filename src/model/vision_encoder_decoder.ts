/**
 * VisionEncoderDecoderModel: a vision encoder and a text decoder joined by cross-attention
 * (transformers' `VisionEncoderDecoderModel`). This file wires the stages; it holds no maths:
 * files (src/hub) -> configs (src/config) -> encoder graph, once per image (src/runtime)
 * -> decoder stepper with cross-attention K/V once per image (src/runtime) -> decoding loops
 * (src/generation).
 *
 * Graphs come from an ONNX export in Hub layout (`onnx/`), or are built by vedge from a PyTorch
 * checkpoint (model.safetensors, sharded, pytorch_model.bin) or from random weights
 * (src/families/model_graphs.ts: encoder, cross_kv, decoder_step).
 * @module
 */
import { validateGenerationConfig } from "../config/validate_generation_config.ts";
import type { DecoderShape } from "../config/generation_limits.ts";
import {
  type GenerationConfig,
  generationConfigFromModelConfig,
  type GenerationOptions,
  resolveGenerationConfig,
} from "../config/generation_config.ts";
import { loadGenerationConfig } from "../config/load_generation_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import type { WeightMap } from "../weights/weight_map.ts";
import { buildDecoderGraphs, visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { checkWeightSpecs } from "../families/shared/weight_specs.ts";
import { savePretrained as writeHubFolder } from "../export/save_pretrained.ts";
import { crossEntropyLoss, shiftTokensRight } from "./loss.ts";
import type { Platform } from "../platform/platform.ts";
import { detectPlatform } from "../platform/detect.ts";
import { resolveModelFiles, type ResolveModelFilesOptions } from "../hub/resolve_model_files.ts";
import { initWeights } from "../families/init_weights.ts";
import { joinPretrained } from "./join_pretrained.ts";
import { layeredFiles } from "../hub/layered_files.ts";
import { loadModelConfig } from "../config/load_model_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { generate, type GenerateOptions, type GenerateOutput } from "../generation/generate.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import { readJson } from "../hub/model_files.ts";
import { type Backend, selectBackend } from "../runtime/backend.ts";
import { EncoderRunner } from "../runtime/encoder_runner.ts";
import type { Decoder } from "../runtime/decoder.ts";
import { InvariantDecoder } from "../runtime/invariant_decoder.ts";
import { loadExportDecoder } from "../runtime/load_export_decoder.ts";
import { GraphSession } from "../runtime/graph_session.ts";
import { findExportFiles } from "../runtime/onnx_files.ts";
import type {
  ForwardInputs,
  ForwardOutputs,
  ModelLoadOptions,
  ModelStats,
} from "./model_options.ts";

export type { ForwardInputs, ForwardOutputs, ModelLoadOptions, ModelStats };
import { cpuData } from "../runtime/tensors.ts";
import type { FloatTensor } from "../tensor.ts";

/** A loaded model, ready to encode, generate, compute a loss and save. */
export class VisionEncoderDecoderModel {
  /** The model's files (null for a model built in memory). */
  readonly files: ModelFiles | null;
  /** config.json, parsed and validated. */
  readonly config: VisionEncoderDecoderConfig;
  /** The model's generation defaults (generation_config.json, else from config.json). */
  readonly generationConfig: GenerationConfig;
  /** The chosen backend and why. */
  readonly backend: Backend;
  /** The checkpoint weights when the graphs were built by vedge (null for ONNX exports). */
  readonly weights: WeightMap | null;
  readonly #encoder: EncoderRunner;
  readonly #decoder: Decoder;

  private constructor(
    parts: {
      files: ModelFiles | null;
      config: VisionEncoderDecoderConfig;
      generationConfig: GenerationConfig;
      backend: Backend;
      weights: WeightMap | null;
      encoder: EncoderRunner;
      decoder: Decoder;
    },
  ) {
    this.files = parts.files;
    this.config = parts.config;
    this.generationConfig = parts.generationConfig;
    this.backend = parts.backend;
    this.weights = parts.weights;
    this.#encoder = parts.encoder;
    this.#decoder = parts.decoder;
  }

  /**
   * Loads a model from its files: an ONNX export in Hub layout, or a PyTorch checkpoint.
   * @param files the model's files (see src/hub)
   * @param options graph source, backend, dtype, decoder layout
   * @returns the model
   */
  static async fromFiles(
    files: ModelFiles,
    options: ModelLoadOptions = {},
  ): Promise<VisionEncoderDecoderModel> {
    const from = options.from;
    if (from !== undefined && !["onnx", "safetensors", "pytorch"].includes(from)) {
      throw new RangeError(
        `from must be "onnx", "safetensors" or "pytorch", got ${JSON.stringify(from)}`,
      );
    }
    const config = await loadModelConfig(files);
    if (!(config instanceof VisionEncoderDecoderConfig)) {
      throw new UnsupportedModelError(
        `Cannot load ${files.id}: config.json has model_type "${config.modelType}", not a vision-encoder-decoder`,
      );
    }
    const generationConfig = await loadGenerationConfig(
      files,
      await readJson(files, "config.json"),
    );
    const layout = from === undefined || from === "onnx"
      ? await findExportFiles(files, { dtype: options.dtype, decoder: options.decoder })
      : null;
    if (!layout) {
      if (from === "onnx") {
        throw new ModelLoadError(
          `Cannot load ${files.id} from ONNX: it has no onnx/encoder_model.onnx`,
        );
      }
      const checkpoint = await loadCheckpoint(files, {
        prefer: from === "pytorch" ? "pytorch" : "safetensors",
      });
      return await VisionEncoderDecoderModel.fromWeights(config, checkpoint.tensors, {
        ...options,
        files,
        generationConfig,
      });
    }
    const backend = await selectBackend(options);
    const encoderSession = await GraphSession.create(
      backend,
      await files.read(layout.encoder),
      `${layout.encoder} from ${files.id}`,
    );
    const decoder = await loadExportDecoder(files, layout.decoder, backend, {
      maxPositions: config.decoder.maxPositions ?? Infinity,
      crossAttentionOnce: options.crossAttentionOnce ?? true,
    });
    return new VisionEncoderDecoderModel({
      files,
      config,
      generationConfig,
      backend,
      weights: null,
      encoder: new EncoderRunner(encoderSession, options.encoderCacheSize ?? 8),
      decoder,
    });
  }

  /**
   * Loads a model by name: a local folder, an http(s) base URL, or a Hub id.
   * @param source where the model is
   * @param options graph source, backend, Hub and cache settings
   * @returns the model
   */
  static async fromPretrained(
    source: string | URL,
    options: ModelLoadOptions & ResolveModelFilesOptions = {},
  ): Promise<VisionEncoderDecoderModel> {
    const platform = options.platform ?? await detectPlatform();
    return await VisionEncoderDecoderModel.fromFiles(
      await resolveModelFiles(source, { ...options, platform }),
      options,
    );
  }

  /**
   * A model initialised at random as Python's `_init_weights` does (seeded, reproducible).
   * @param config e.g. `VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(vit, bert)`
   * @param options seed (default 0), backend options
   * @returns the model
   */
  static async fromConfig(
    config: VisionEncoderDecoderConfig,
    options: ModelLoadOptions & { seed?: number } = {},
  ): Promise<VisionEncoderDecoderModel> {
    const weights = initWeights(config, { seed: options.seed ?? 0 });
    return await VisionEncoderDecoderModel.fromWeights(config, weights, options);
  }

  /**
   * A pretrained vision encoder joined with a pretrained text decoder, as Python's
   * `from_encoder_decoder_pretrained`: the decoder gets is_decoder and add_cross_attention, and
   * the weights its checkpoint lacks (cross-attention, enc_to_dec_proj) are initialised at random
   * and named in a warning. Tokenizer and processor files are taken from the decoder's and the
   * encoder's folders for savePretrained.
   * @param encoderSource the encoder's folder, URL or Hub id (standalone or VisionEncoderDecoder)
   * @param decoderSource the decoder's folder, URL or Hub id
   * @param options seed for the new weights, `onWarning` (default console.warn), backend, Hub
   * @returns the model
   */
  static async fromEncoderDecoderPretrained(
    encoderSource: string | URL,
    decoderSource: string | URL,
    options: ModelLoadOptions & ResolveModelFilesOptions & {
      seed?: number;
      onWarning?: (message: string) => void;
    } = {},
  ): Promise<VisionEncoderDecoderModel> {
    const platform = options.platform ?? await detectPlatform();
    const [enc, dec] = await Promise.all([
      resolveModelFiles(encoderSource, { ...options, platform }),
      resolveModelFiles(decoderSource, { ...options, platform }),
    ]);
    const joined = await joinPretrained({ files: enc }, { files: dec }, {
      seed: options.seed ?? 0,
    });
    if (joined.warning) (options.onWarning ?? console.warn)(joined.warning);
    return await VisionEncoderDecoderModel.fromWeights(joined.config, joined.weights, {
      ...options,
      files: layeredFiles(dec, enc),
    });
  }

  /**
   * Builds vedge's own graphs (encoder, cross_kv, decoder_step) from weights.
   * @param config the model's config
   * @param weights checkpoint tensors by Hugging Face name ("encoder.*", "decoder.*")
   * @param options backend options, the source files (tokenizer etc. for saving), generation defaults
   * @returns the model
   */
  static async fromWeights(
    config: VisionEncoderDecoderConfig,
    weights: WeightMap,
    options: ModelLoadOptions & { files?: ModelFiles; generationConfig?: GenerationConfig } = {},
  ): Promise<VisionEncoderDecoderModel> {
    const source = options.files?.id ?? "a model built in memory";
    checkWeightSpecs(visionEncoderDecoderWeightSpecs(config), weights, source);
    const backend = await selectBackend(options);
    const graphs = buildDecoderGraphs(config, weights, { source });
    // encode one graph at a time: each holds its own copy of its weights while encoding
    const encoderSession = await GraphSession.create(
      backend,
      graphs.encoder.toBytes(),
      `encoder graph of ${source}`,
    );
    const decoder = await InvariantDecoder.fromGraphs(
      backend,
      graphs.crossKv.toBytes(),
      graphs.decoderStep.toBytes(),
      source,
      config.decoder.maxPositions ?? Infinity,
    );
    return new VisionEncoderDecoderModel({
      files: options.files ?? null,
      config,
      generationConfig: options.generationConfig ??
        generationConfigFromModelConfig(config.toJSON()),
      backend,
      weights,
      encoder: new EncoderRunner(encoderSession, options.encoderCacheSize ?? 8),
      decoder,
    });
  }

  /**
   * Runs the encoder (cached per image).
   * @param pixelValues [images, 3, H, W]
   * @returns last_hidden_state [images, seq, hidden]
   */
  async encode(pixelValues: FloatTensor): Promise<FloatTensor> {
    const t = await this.#encoder.encode(checkPixels(pixelValues));
    return { data: cpuData(t), dims: [...t.dims] };
  }

  /**
   * Generates token ids for a batch of images.
   * @param pixelValues [images, 3, H, W]
   * @param options generation options (camelCase or snake_case) plus signal and streamer
   * @returns sequences (decoder start token first) and, for beam search, their scores
   */
  async generate(
    pixelValues: FloatTensor,
    options: GenerationOptions & GenerateOptions = {},
  ): Promise<GenerateOutput> {
    const { signal, streamer, decoderInputIds, now, ...rest } = options;
    const config = resolveGenerationConfig(this.generationConfig, rest);
    validateGenerationConfig(config, { // the memory estimate, before any run
      images: pixelValues.dims[0],
      decoder: this.config.decoder as DecoderShape,
    });
    const states = await this.#encoder.encode(checkPixels(pixelValues), { signal });
    const stepper = this.#decoder.bind(states, { signal });
    try {
      return await generate(stepper, config, { signal, streamer, decoderInputIds, now });
    } finally {
      stepper.dispose();
    }
  }

  /**
   * The training forward pass: logits for whole decoder sequences and, with labels, Python's loss
   * (labels shifted right with decoder_start_token_id, -100 replaced by pad_token_id in the
   * inputs, mean cross-entropy over positions whose label is not -100).
   * @param inputs pixel values, labels and/or decoder input ids
   * @returns loss and logits
   */
  async forward(inputs: ForwardInputs): Promise<ForwardOutputs> {
    const { pixelValues, labels } = inputs;
    let ids = inputs.decoderInputIds;
    if (!ids) {
      if (!labels) throw new TypeError("forward() needs labels or decoderInputIds");
      const start = this.config.decoderStartTokenId;
      const pad = this.config.padTokenId;
      if (start === null || pad === null) {
        throw new RangeError(
          "forward() with labels needs decoder_start_token_id and pad_token_id in config.json (as Python's shift_tokens_right)",
        );
      }
      ids = shiftTokensRight(labels, pad, start);
    }
    const given = inputs.encoderHiddenStates;
    const states = given
      ? new this.backend.ort.Tensor("float32", given.data, given.dims)
      : await this.#encoder.encode(checkPixels(pixelValues as FloatTensor));
    if (ids.length !== states.dims[0]) {
      throw new RangeError(`${ids.length} label rows for ${states.dims[0]} images`);
    }
    const bound = this.#decoder.bind(states);
    let logits: FloatTensor;
    try {
      logits = await bound.forward(ids);
    } finally {
      bound.dispose();
    }
    return { loss: labels ? crossEntropyLoss(logits, labels) : null, logits };
  }

  /**
   * Saves the model in Hub layout: config.json, generation_config.json, model.safetensors, the
   * tokenizer and processor files of the source, and onnx/ (Optimum's names, loadable by
   * transformers.js and Optimum).
   * @param dir destination folder
   * @param options ONNX decoder layout, platform
   * @returns the files written, relative to dir
   */
  async savePretrained(
    dir: string,
    options: { onnx?: "merged" | "pair" | "both" | "none"; platform?: Platform } = {},
  ): Promise<string[]> {
    if (!this.weights) {
      throw new UnsupportedModelError(
        `savePretrained() needs the model's weights, and ${
          this.files?.id ?? "this model"
        } was loaded from an ONNX export; load it from its checkpoint (from: "safetensors")`,
      );
    }
    return await writeHubFolder(dir, {
      config: this.config,
      weights: this.weights,
      generationConfig: this.generationConfig,
      files: this.files ?? undefined,
      platform: options.platform ?? await detectPlatform(),
      onnx: options.onnx,
    });
  }

  /** Run counters: encoder runs, decoder runs, cross-attention bytes copied. */
  get stats(): ModelStats {
    const e = this.#encoder.stats, d = this.#decoder.stats;
    return {
      encoderRuns: this.#encoder.session.runs,
      imagesEncoded: e.encoded,
      encoderCacheHits: e.cacheHits,
      decoderFirstRuns: d.firstRuns,
      decoderStepRuns: d.stepRuns,
      crossBytesCopied: d.crossBytesCopied,
      crossKvRuns: d.crossKvRuns,
      crossAttentionOnce: this.#decoder.crossAttentionOnce,
      hostBytes: d.hostBytes,
      hostBytesPerStep: [...d.hostBytesPerStep],
    };
  }

  /** Frees the sessions. */
  async dispose(): Promise<void> {
    await Promise.all([this.#encoder.session, ...this.#decoder.sessions].map((s) => s.release()));
  }
}

function checkPixels(p: FloatTensor): FloatTensor {
  if (!p || !(p.data instanceof Float32Array) || !Array.isArray(p.dims) || p.dims.length !== 4) {
    throw new TypeError("pixelValues must be {data: Float32Array, dims: [images, 3, H, W]}");
  }
  const n = p.dims.reduce((a, b) => a * b, 1);
  if (n !== p.data.length || p.dims[0] < 1) {
    throw new RangeError(
      `pixelValues dims ${JSON.stringify(p.dims)} hold ${n} values, data has ${p.data.length}`,
    );
  }
  return p;
}
