/**
 * Which ONNX files of a Hub-layout export to load, as transformers.js and Optimum name them:
 * `onnx/encoder_model{sfx}.onnx` and either `onnx/decoder_model_merged{sfx}.onnx` or the pair
 * `onnx/decoder_model{sfx}.onnx` + `onnx/decoder_with_past_model{sfx}.onnx`.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import {
  type Dtype,
  DTYPE_SUFFIXES,
  type DtypeOption,
  onnxFilePath,
} from "../hub/onnx_file_path.ts";

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
 * The dtypes for which the model has `onnx/{name}{suffix}.onnx`.
 * @param files the model's files
 * @param name file name without suffix, e.g. "encoder_model"
 * @returns the dtypes found, in DTYPE_SUFFIXES order
 */
export async function onnxVariants(files: ModelFiles, name: string): Promise<Dtype[]> {
  const dtypes = Object.keys(DTYPE_SUFFIXES) as Dtype[];
  const found = await Promise.all(dtypes.map((d) => files.has(onnxFilePath(name, d))));
  return dtypes.filter((_, i) => found[i]);
}

function describe(dtype: DtypeOption): string {
  return typeof dtype === "string" ? dtype : JSON.stringify(dtype);
}

/** A dtype that asks for something other than fp32 (what a checkpoint is built in). */
function asksForVariant(dtype: DtypeOption): boolean {
  return typeof dtype === "string"
    ? dtype !== "fp32"
    : Object.values(dtype).some((d) => d !== "fp32");
}

/**
 * Finds the export's files, or null when the model has no ONNX encoder (a checkpoint-only repo)
 * and no dtype other than fp32 was asked for. A dtype the export lacks is an error listing the
 * variants it has, never a silent fallback to another variant or to the checkpoint.
 * @param files the model's files
 * @param options dtype, and which decoder layout to prefer when both exist
 * @returns the files to load, or null
 * @throws ModelLoadError when the asked dtype's files are missing
 */
export async function findExportFiles(
  files: ModelFiles,
  options: { dtype?: DtypeOption; decoder?: "merged" | "pair" } = {},
): Promise<ExportFiles | null> {
  const encoder = onnxFilePath("encoder_model", options.dtype);
  if (!(await files.has(encoder))) {
    if (options.dtype === undefined) return null;
    const have = await onnxVariants(files, "encoder_model");
    if (have.length === 0 && !asksForVariant(options.dtype)) return null;
    throw new ModelLoadError(
      `Cannot load ${files.id} with dtype ${describe(options.dtype)}: ${encoder} does not exist; ` +
        (have.length
          ? `the export has the variants ${have.join(", ")}`
          : "the model has no ONNX export (its checkpoint runs in fp32)"),
    );
  }
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
  const variants = [
    ...new Set([
      ...await onnxVariants(files, "decoder_model_merged"),
      ...await onnxVariants(files, "decoder_with_past_model"),
    ]),
  ];
  throw new ModelLoadError(
    `Cannot load the decoder from ${files.id}: ${encoder} exists but neither ${merged} nor the pair ${first} + ${withPast} does` +
      (variants.length ? ` (decoder variants present: ${variants.join(", ")})` : ""),
  );
}
