import assert from "node:assert/strict";
import { onnxFilePath } from "./onnx_file_path.ts";

Deno.test("onnxFilePath() uses transformers.js's dtype suffixes", () => {
  const want: Record<string, string> = {
    fp32: "onnx/encoder_model.onnx",
    fp16: "onnx/encoder_model_fp16.onnx",
    q8: "onnx/encoder_model_quantized.onnx",
    int8: "onnx/encoder_model_int8.onnx",
    uint8: "onnx/encoder_model_uint8.onnx",
    q4: "onnx/encoder_model_q4.onnx",
    q4f16: "onnx/encoder_model_q4f16.onnx",
    bnb4: "onnx/encoder_model_bnb4.onnx",
  };
  for (const [dtype, path] of Object.entries(want)) {
    assert.equal(onnxFilePath("encoder_model", dtype as "fp32"), path);
  }
  assert.equal(onnxFilePath("encoder_model"), "onnx/encoder_model.onnx");
});

Deno.test("onnxFilePath() takes a per-file map; files it lacks are fp32", () => {
  const map = { decoder_model_merged: "q4" } as const;
  assert.equal(onnxFilePath("decoder_model_merged", map), "onnx/decoder_model_merged_q4.onnx");
  assert.equal(onnxFilePath("encoder_model", map), "onnx/encoder_model.onnx");
});

Deno.test("onnxFilePath() rejects unknown dtypes and odd names", () => {
  assert.throws(() => onnxFilePath("encoder_model", "fp8" as "fp32"), /Unknown dtype "fp8"/);
  assert.throws(() => onnxFilePath("../x"), TypeError);
  assert.throws(
    () => onnxFilePath("encoder_model", { encoder_model: "toString" as "fp32" }),
    TypeError,
  );
});
