/**
 * ONNX files in Optimum's Hub layout for a VisionEncoderDecoder checkpoint, built by vedge from
 * config + weights (no Python): what `savePretrained` writes under `onnx/` so that
 * transformers.js 4.3.1 (`AutoModelForVision2Seq`, which loads `onnx/encoder_model.onnx` and
 * `onnx/decoder_model_merged.onnx`) and Optimum (`ORTModelForVision2Seq`) load the folder.
 *
 * - `onnx/encoder_model.onnx`: `pixel_values` float32 [batch, C, H, W] -> `last_hidden_state`
 *   float32 [batch, seq, hidden]: the family's encoder graph as vedge runs it.
 * - `onnx/decoder_model_merged.onnx`, and optionally the pair `onnx/decoder_model.onnx` +
 *   `onnx/decoder_with_past_model.onnx`: see optimum_decoder.ts for names and shapes.
 *
 * Memory: each file's graphs are built when it is asked for and encoded into one buffer (the
 * only copy of the weights it holds); write it and drop it before building the next.
 * @module
 */

import type { WeightTensor } from "../weights/weight_tensor.ts";
import { decoderFamily } from "../families/index.ts";
import {
  buildDecoderGraphs,
  type ConfigPart,
  type DecoderGraphSet,
} from "../families/model_graphs.ts";
import {
  buildOptimumDecoder,
  type OptimumCacheNaming,
  type OptimumDecoderKind,
  optimumDecoderModel,
} from "./optimum_decoder.ts";
import { onnxChunks } from "./file_chunks.ts";

/** Which decoder files to produce. */
export type OptimumDecoderLayout = "merged" | "pair" | "both";

/** Options of {@link optimumExport}. */
export interface OptimumExportOptions {
  /** Decoder files: the merged file (default), the no-past/with-past pair, or both. */
  decoder?: OptimumDecoderLayout;
  /** The checkpoint's name, for error messages. */
  source?: string;
}

/** One file of the export, built on demand. */
export interface OptimumExportFile {
  /** Hub-relative path, e.g. "onnx/decoder_model_merged.onnx". */
  path: string;
  /**
   * Builds the file.
   * @returns its bytes
   */
  build(): Uint8Array;
  /**
   * Builds the file as chunks that reference the weights (for writing without a second copy).
   * @returns chunks whose concatenation equals `build()`
   */
  chunks(): Uint8Array[];
}

/** The export of one model. */
export interface OptimumExport {
  /** How the decoder files name the cache. */
  naming: OptimumCacheNaming;
  /** The files, encoder first. */
  files: OptimumExportFile[];
}

const DECODER_FILES: Record<OptimumDecoderKind, string> = {
  merged: "onnx/decoder_model_merged.onnx",
  no_past: "onnx/decoder_model.onnx",
  with_past: "onnx/decoder_with_past_model.onnx",
};

/**
 * Plans the ONNX files of a VisionEncoderDecoder model in Optimum's layout.
 * @param config the encoder and decoder configs (a VisionEncoderDecoderConfig)
 * @param weights the checkpoint's tensors ("encoder.*", "decoder.*", "enc_to_dec_proj.*")
 * @param options decoder layout and source label
 * @returns the cache naming and the files, each built when `build()` is called
 * @throws UnsupportedModelError for an encoder or decoder type vedge cannot build
 * @example
 * ```ts
 * for (const f of optimumExport(config, weights).files) await write(f.path, f.build());
 * ```
 */
export function optimumExport(
  config: { readonly encoder: ConfigPart; readonly decoder: ConfigPart },
  weights: ReadonlyMap<string, WeightTensor>,
  options: OptimumExportOptions = {},
): OptimumExport {
  const layout = options.decoder ?? "merged";
  if (!["merged", "pair", "both"].includes(layout)) {
    throw new RangeError(
      `decoder must be "merged", "pair" or "both", got ${JSON.stringify(layout)}`,
    );
  }
  // Built once now so that an unsupported family or a missing weight fails before any file is
  // written, then again per file: float32 weights are only referenced, but other float dtypes
  // are widened when a graph is built, and those copies should live no longer than one file.
  const graphs = (): DecoderGraphSet => buildDecoderGraphs(config, weights, options);
  graphs();
  const naming = decoderFamily(config.decoder.modelType, "Cannot export the decoder").cacheNaming;
  const parts = () => ({ graphs: graphs(), encoderHidden: config.encoder.hiddenSize, naming });
  const kinds: OptimumDecoderKind[] = layout === "merged"
    ? ["merged"]
    : layout === "pair"
    ? ["no_past", "with_past"]
    : ["merged", "no_past", "with_past"];
  return {
    naming,
    files: [
      {
        path: "onnx/encoder_model.onnx",
        build: () => graphs().encoder.toBytes(),
        chunks: () => onnxChunks(graphs().encoder.toModel()),
      },
      ...kinds.map((kind) => ({
        path: DECODER_FILES[kind],
        build: () => buildOptimumDecoder(parts(), kind),
        chunks: () => onnxChunks(optimumDecoderModel(parts(), kind)),
      })),
    ],
  };
}
