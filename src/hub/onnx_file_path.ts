/**
 * Which ONNX file a dtype selects, named as transformers.js and Optimum name them:
 * `onnx/{name}{suffix}.onnx` with fp32 "", fp16 "_fp16", q8 "_quantized", int8 "_int8",
 * uint8 "_uint8", q4 "_q4", q4f16 "_q4f16", bnb4 "_bnb4".
 * @module
 */

/** The ONNX weight types a Hub export may ship. */
export type Dtype = "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4" | "q4f16" | "bnb4";

/** A dtype for every file, or one per file name (`{encoder_model: "fp32", ...}`). */
export type DtypeOption = Dtype | Readonly<Record<string, Dtype>>;

/** File-name suffix of each dtype (transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIXES: Readonly<Record<Dtype, string>> = Object.freeze({
  fp32: "",
  fp16: "_fp16",
  q8: "_quantized",
  int8: "_int8",
  uint8: "_uint8",
  q4: "_q4",
  q4f16: "_q4f16",
  bnb4: "_bnb4",
});

/**
 * The Hub-relative path of an ONNX file for a dtype.
 * @param name file name without suffix or extension, e.g. "encoder_model"
 * @param dtype one dtype, or a map by file name (names it lacks get fp32, as in transformers.js)
 * @returns e.g. "onnx/encoder_model_quantized.onnx"
 * @example
 * ```ts
 * import { onnxFilePath } from "./onnx_file_path.ts";
 * onnxFilePath("decoder_model_merged", "q8"); // "onnx/decoder_model_merged_quantized.onnx"
 * ```
 */
export function onnxFilePath(name: string, dtype: DtypeOption = "fp32"): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new TypeError(`Invalid ONNX file name "${name}": expected e.g. "encoder_model"`);
  }
  const chosen = typeof dtype === "string"
    ? dtype
    : (Object.hasOwn(dtype, name) ? dtype[name] : "fp32");
  if (!Object.hasOwn(DTYPE_SUFFIXES, chosen)) {
    throw new TypeError(
      `Unknown dtype "${chosen}" for ${name}: expected one of ${
        Object.keys(DTYPE_SUFFIXES).join(", ")
      }`,
    );
  }
  return `onnx/${name}${DTYPE_SUFFIXES[chosen]}.onnx`;
}
