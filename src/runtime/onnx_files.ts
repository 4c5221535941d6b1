/**
 * Which ONNX files of a Hub-layout export to load, as transformers.js and Optimum name them:
 * `onnx/encoder_model{sfx}.onnx` and either `onnx/decoder_model_merged{sfx}.onnx` or the pair
 * `onnx/decoder_model{sfx}.onnx` + `onnx/decoder_with_past_model{sfx}.onnx`.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import { type DtypeOption, onnxFilePath } from "../hub/onnx_file_path.ts";

export type { DtypeOption };

/** The export's decoder files. */
export type DecoderFiles =
  | { kind: "merged"; merged: string }
  | { kind: "pair"; first: string; withPast: string };

/** The files of one export. */
export interface ExportFiles {
  encoder: string;
  decoder: DecoderFiles;
}

/**
 * Finds the export's files, or null when the model has no ONNX encoder (a checkpoint-only repo).
 * @param files the model's files
 * @param options dtype, and which decoder layout to prefer when both exist
 * @returns the files to load, or null
 */
export async function findExportFiles(
  files: ModelFiles,
  options: { dtype?: DtypeOption; decoder?: "merged" | "pair" } = {},
): Promise<ExportFiles | null> {
  const encoder = onnxFilePath("encoder_model", options.dtype);
  if (!(await files.has(encoder))) return null;
  const merged = onnxFilePath("decoder_model_merged", options.dtype);
  const first = onnxFilePath("decoder_model", options.dtype);
  const withPast = onnxFilePath("decoder_with_past_model", options.dtype);
  const [hasMerged, hasFirst, hasPast] = await Promise.all([
    files.has(merged),
    files.has(first),
    files.has(withPast),
  ]);
  const pair = hasFirst && hasPast;
  if (options.decoder === "pair" && pair) {
    return { encoder, decoder: { kind: "pair", first, withPast } };
  }
  if (hasMerged) return { encoder, decoder: { kind: "merged", merged } };
  if (pair) return { encoder, decoder: { kind: "pair", first, withPast } };
  throw new ModelLoadError(
    `Cannot load the decoder from ${files.id}: ${encoder} exists but neither ${merged} nor the pair ${first} + ${withPast} does`,
  );
}
