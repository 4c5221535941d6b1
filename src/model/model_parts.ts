/**
 * A model's two halves loaded apart: the encoder part (pixel values -> encoder states) and the
 * decoder part (encoder states -> token ids, with cross-attention K/V computed once per image
 * inside it). The Web Workers of workers/ each load one half, so a worker holds only its own
 * graphs; together they do what {@link VisionEncoderDecoderModel.generate} does on one thread,
 * with the same graphs, the same loaders and the same decoding loops, so the results are equal.
 *
 * The graphs are chosen as VisionEncoderDecoderModel.fromFiles chooses them: the ONNX export in
 * onnx/ when there is one (unless `from` says otherwise), else vedge's own graphs built from the
 * checkpoint.
 * @module
 */
import {
  type GenerationConfig,
  type GenerationOptions,
  resolveGenerationConfig,
} from "../config/generation_config.ts";
import { loadGenerationConfig } from "../config/load_generation_config.ts";
import type { DecoderShape } from "../config/generation_limits.ts";
import { validateGenerationConfig } from "../config/validate_generation_config.ts";
import { loadModelConfig } from "../config/load_model_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { buildDecoderGraphs, visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { checkWeightSpecs } from "../families/shared/weight_specs.ts";
import { generate, type GenerateOptions, type GenerateOutput } from "../generation/generate.ts";
import { type ModelFiles, readJson } from "../hub/model_files.ts";
import { type Backend, selectBackend } from "../runtime/backend.ts";
import { EncoderRunner } from "../runtime/encoder_runner.ts";
import type { Decoder } from "../runtime/decoder.ts";
import { GraphSession } from "../runtime/graph_session.ts";
import { InvariantDecoder } from "../runtime/invariant_decoder.ts";
import { loadExportDecoder } from "../runtime/load_export_decoder.ts";
import { findExportFiles } from "../runtime/onnx_files.ts";
import { cpuData } from "../runtime/tensors.ts";
import type { FloatTensor } from "../tensor.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import type { ModelLoadOptions } from "./model_options.ts";

/** The encoder half. */
export interface EncoderPart {
  /** The chosen backend and why. */
  readonly backend: Backend;
  /**
   * Runs the encoder (cached per image, as the model's).
   * @param pixels [images, 3, H, W]
   * @param signal stops the run
   * @returns last_hidden_state [images, seq, hidden]
   */
  encode(pixels: FloatTensor, signal?: AbortSignal): Promise<FloatTensor>;
  /** Frees the session. */
  dispose(): Promise<void>;
}

/** Counters of the decoder half. */
export interface DecoderPartStats {
  /** First decoder steps (once per image). */
  decoderFirstRuns: number;
  /** Later decoder steps. */
  decoderStepRuns: number;
  /** Runs that computed cross-attention K/V. */
  crossKvRuns: number;
  /** Bytes of cross-attention K/V copied between steps (0 when computed once). */
  crossBytesCopied: number;
}

/** The decoder half. */
export interface DecoderPart {
  /** The chosen backend and why. */
  readonly backend: Backend;
  /** The model's generation defaults. */
  readonly generationConfig: GenerationConfig;
  /** The decoder's shape, for the memory estimate of generation options. */
  readonly decoderShape: DecoderShape;
  /** Counters. */
  readonly stats: DecoderPartStats;
  /**
   * Generates token ids for encoder states, as VisionEncoderDecoderModel.generate does after
   * its encoder.
   * @param states [images, seq, hidden]
   * @param options generation options plus signal and streamer
   * @returns sequences and, for beam search, their scores
   */
  generate(
    states: FloatTensor,
    options?: GenerationOptions & GenerateOptions,
  ): Promise<GenerateOutput>;
  /** Frees the sessions. */
  dispose(): Promise<void>;
}

interface Located {
  config: VisionEncoderDecoderConfig;
  layout: Awaited<ReturnType<typeof findExportFiles>>;
}

async function locate(files: ModelFiles, options: ModelLoadOptions): Promise<Located> {
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
  const layout = from === undefined || from === "onnx"
    ? await findExportFiles(files, { dtype: options.dtype, decoder: options.decoder })
    : null;
  if (!layout && from === "onnx") {
    throw new ModelLoadError(
      `Cannot load ${files.id} from ONNX: it has no onnx/encoder_model.onnx`,
    );
  }
  return { config, layout };
}

async function checkpointGraphs(
  files: ModelFiles,
  config: VisionEncoderDecoderConfig,
  options: ModelLoadOptions,
): Promise<ReturnType<typeof buildDecoderGraphs>> {
  const checkpoint = await loadCheckpoint(files, {
    prefer: options.from === "pytorch" ? "pytorch" : "safetensors",
  });
  checkWeightSpecs(visionEncoderDecoderWeightSpecs(config), checkpoint.tensors, files.id);
  return buildDecoderGraphs(config, checkpoint.tensors, { source: files.id });
}

/**
 * Loads only the encoder of a model.
 * @param files the model's files
 * @param options graph source, backend, dtype
 * @returns the encoder half
 */
export async function loadEncoderPart(
  files: ModelFiles,
  options: ModelLoadOptions = {},
): Promise<EncoderPart> {
  const { config, layout } = await locate(files, options);
  const backend = await selectBackend(options);
  const session = layout
    ? await GraphSession.create(
      backend,
      await files.read(layout.encoder),
      `${layout.encoder} from ${files.id}`,
    )
    : await GraphSession.create(
      backend,
      (await checkpointGraphs(files, config, options)).encoder.toBytes(),
      `encoder graph of ${files.id}`,
    );
  const runner = new EncoderRunner(session, options.encoderCacheSize ?? 8);
  return {
    backend,
    encode: async (pixels, signal) => {
      const t = await runner.encode(pixels, { signal });
      return { data: cpuData(t), dims: [...t.dims] };
    },
    dispose: () => session.release(),
  };
}

/**
 * Loads only the decoder of a model (and its generation defaults).
 * @param files the model's files
 * @param options graph source, backend, dtype, decoder layout
 * @returns the decoder half
 */
export async function loadDecoderPart(
  files: ModelFiles,
  options: ModelLoadOptions = {},
): Promise<DecoderPart> {
  const { config, layout } = await locate(files, options);
  const generationConfig = await loadGenerationConfig(files, await readJson(files, "config.json"));
  const backend = await selectBackend(options);
  const maxPositions = config.decoder.maxPositions ?? Infinity;
  let decoder: Decoder;
  if (layout) {
    decoder = await loadExportDecoder(files, layout.decoder, backend, {
      maxPositions,
      crossAttentionOnce: options.crossAttentionOnce ?? true,
    });
  } else {
    const graphs = await checkpointGraphs(files, config, options);
    decoder = await InvariantDecoder.fromGraphs(
      backend,
      graphs.crossKv.toBytes(),
      graphs.decoderStep.toBytes(),
      files.id,
      maxPositions,
    );
  }
  const d = config.decoder as DecoderShape;
  const decoderShape = { vocabSize: d.vocabSize, numLayers: d.numLayers, hiddenSize: d.hiddenSize };
  return {
    backend,
    generationConfig,
    decoderShape,
    get stats(): DecoderPartStats {
      const d = decoder.stats;
      return {
        decoderFirstRuns: d.firstRuns,
        decoderStepRuns: d.stepRuns,
        crossKvRuns: d.crossKvRuns,
        crossBytesCopied: d.crossBytesCopied,
      };
    },
    generate: async (states, options = {}) => {
      const { signal, streamer, decoderInputIds, now, ...rest } = options;
      const config = resolveGenerationConfig(generationConfig, rest);
      // as VisionEncoderDecoderModel.generate: refuse an oversized batch before any run
      validateGenerationConfig(config, { images: states.dims[0], decoder: decoderShape });
      const tensor = new backend.ort.Tensor("float32", states.data, states.dims);
      const stepper = decoder.bind(tensor, { signal });
      return await generate(stepper, config, { signal, streamer, decoderInputIds, now });
    },
    dispose: async () => {
      await Promise.all(decoder.sessions.map((s) => s.release()));
    },
  };
}
