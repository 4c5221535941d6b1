/**
 * VisionEncoderDecoderModel: a vision encoder and a text decoder joined by cross-attention
 * (transformers' `VisionEncoderDecoderModel`). This file wires the stages; it holds no maths:
 * files (src/hub) -> configs (src/config) -> encoder graph, once per image (src/runtime)
 * -> decoder stepper with cross-attention K/V once per image (src/runtime) -> decoding loops
 * (src/generation).
 * @module
 */
import {
  type GenerationConfig,
  type GenerationOptions,
  resolveGenerationConfig,
} from "../config/generation_config.ts";
import { loadGenerationConfig } from "../config/load_generation_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { loadModelConfig } from "../config/load_model_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { generate, type GenerateOptions, type GenerateOutput } from "../generation/generate.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import { readJson } from "../hub/model_files.ts";
import { type Backend, type BackendOptions, selectBackend } from "../runtime/backend.ts";
import { EncoderRunner } from "../runtime/encoder_runner.ts";
import type { ExportDecoder } from "../runtime/export_decoder.ts";
import type { InvariantDecoder } from "../runtime/invariant_decoder.ts";
import { loadExportDecoder } from "../runtime/load_export_decoder.ts";
import { GraphSession } from "../runtime/graph_session.ts";
import { type DtypeOption, findExportFiles } from "../runtime/onnx_files.ts";
import type { OrtTensor } from "../runtime/ort.ts";
import { cpuData, floatTensor } from "../runtime/tensors.ts";
import type { FloatTensor } from "../tensor.ts";

/** Options of {@link VisionEncoderDecoderModel.fromFiles}. */
export interface ModelLoadOptions extends BackendOptions {
  /** Weight variant(s) of the ONNX files. */
  dtype?: DtypeOption;
  /** Decoder layout to prefer when an export has both. */
  decoder?: "merged" | "pair";
  /**
   * Compute cross-attention K/V once per image (default true). False runs a GPT2-style export as
   * shipped (K/V recomputed at every step for every beam): the baseline of the benchmarks.
   */
  crossAttentionOnce?: boolean;
  /** Images whose encoder output is kept (0 disables the cache). Default 8. */
  encoderCacheSize?: number;
}

/** Counters for tests and benchmarks. */
export interface ModelStats {
  encoderRuns: number;
  imagesEncoded: number;
  encoderCacheHits: number;
  decoderFirstRuns: number;
  decoderStepRuns: number;
  crossBytesCopied: number;
  /** Runs that computed cross-attention K/V (once per image batch when computed once). */
  crossKvRuns: number;
}

/** A loaded model, ready to encode and generate. */
export class VisionEncoderDecoderModel {
  /** The model's files. */
  readonly files: ModelFiles;
  /** config.json, parsed and validated. */
  readonly config: VisionEncoderDecoderConfig;
  /** The model's generation defaults (generation_config.json, else from config.json). */
  readonly generationConfig: GenerationConfig;
  /** The chosen backend and why. */
  readonly backend: Backend;
  readonly #encoder: EncoderRunner;
  readonly #decoder: ExportDecoder | InvariantDecoder;

  private constructor(
    files: ModelFiles,
    config: VisionEncoderDecoderConfig,
    generationConfig: GenerationConfig,
    backend: Backend,
    encoder: EncoderRunner,
    decoder: ExportDecoder | InvariantDecoder,
  ) {
    this.files = files;
    this.config = config;
    this.generationConfig = generationConfig;
    this.backend = backend;
    this.#encoder = encoder;
    this.#decoder = decoder;
  }

  /**
   * Loads a model from its files (an ONNX export in Hub layout).
   * @param files the model's files (see src/hub)
   * @param options backend, dtype, decoder layout
   * @returns the model
   */
  static async fromFiles(
    files: ModelFiles,
    options: ModelLoadOptions = {},
  ): Promise<VisionEncoderDecoderModel> {
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
    const layout = await findExportFiles(files, { dtype: options.dtype, decoder: options.decoder });
    if (!layout) {
      throw new ModelLoadError(
        `Cannot load ${files.id}: no onnx/encoder_model.onnx (checkpoint-only models are not supported yet)`,
      );
    }
    const backend = await selectBackend(options);
    const load = async (path: string): Promise<GraphSession> =>
      GraphSession.create(backend, await files.read(path), `${path} from ${files.id}`);
    const encoder = new EncoderRunner(await load(layout.encoder), options.encoderCacheSize ?? 8);
    const decoder = await loadExportDecoder(files, layout.decoder, backend, {
      maxPositions: config.decoder.maxPositions ?? Infinity,
      crossAttentionOnce: options.crossAttentionOnce ?? true,
    });
    return new VisionEncoderDecoderModel(
      files,
      config,
      generationConfig,
      backend,
      encoder,
      decoder,
    );
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
    const states = await this.#encoder.encode(checkPixels(pixelValues));
    const stepper = this.#decoder.bind(states);
    return await generate(stepper, config, { signal, streamer, decoderInputIds, now });
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
      crossKvRuns: "invariantRuns" in d ? d.invariantRuns : d.firstRuns,
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

/** @internal for tests: the OrtTensor form of encoder states. */
export function _toOrt(backend: Backend, t: FloatTensor): OrtTensor {
  return floatTensor(backend.ort, t);
}
