/**
 * Which ONNX files of a Hub-layout export to load, as transformers.js and Optimum name them:
 * `onnx/encoder_model{sfx}.onnx` and either `onnx/decoder_model_merged{sfx}.onnx` or the pair
 * `onnx/decoder_model{sfx}.onnx` + `onnx/decoder_with_past_model{sfx}.onnx`.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { ModelFiles } from "../hub/model_files.ts";

/** Weight precision variants, named as transformers.js names them. */
export type Dtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

/** The file-name suffix of each dtype. */
export const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = {
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
};

/** One dtype for all files, or per base file name ("encoder_model", "decoder_model_merged", ...). */
export type DtypeOption = Dtype | Partial<Record<string, Dtype>>;

/** The export's decoder files. */
export type DecoderFiles =
  | { kind: "merged"; merged: string }
  | { kind: "pair"; first: string; withPast: string };

/** The files of one export. */
export interface ExportFiles {
  encoder: string;
  decoder: DecoderFiles;
}

function dtypeFor(option: DtypeOption | undefined, base: string): Dtype {
  if (option === undefined) return "fp32";
  const d = typeof option === "string" ? option : option[base] ?? "fp32";
  if (!(d in DTYPE_SUFFIX)) {
    throw new RangeError(
      `dtype ${JSON.stringify(d)} for ${base} is not one of ${
        Object.keys(DTYPE_SUFFIX).join(", ")
      }`,
    );
  }
  return d;
}

/**
 * The path of one ONNX file for a dtype.
 * @param base file name without suffix, e.g. "encoder_model"
 * @param dtype the dtype option
 * @returns e.g. "onnx/encoder_model_quantized.onnx"
 */
export function onnxPath(base: string, dtype?: DtypeOption): string {
  return `onnx/${base}${DTYPE_SUFFIX[dtypeFor(dtype, base)]}.onnx`;
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
  const encoder = onnxPath("encoder_model", options.dtype);
  if (!(await files.has(encoder))) return null;
  const merged = onnxPath("decoder_model_merged", options.dtype);
  const first = onnxPath("decoder_model", options.dtype);
  const withPast = onnxPath("decoder_with_past_model", options.dtype);
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
