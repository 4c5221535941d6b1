import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { memoryFiles } from "../hub/model_files.ts";
import { findExportFiles, onnxVariants } from "./onnx_files.ts";

const exportFp32Fp16 = memoryFiles("m", {
  "onnx/encoder_model.onnx": "",
  "onnx/decoder_model_merged.onnx": "",
  "onnx/encoder_model_fp16.onnx": "",
  "onnx/decoder_model_merged_fp16.onnx": "",
});

Deno.test("findExportFiles picks the asked dtype's files", async () => {
  assert.deepEqual(await findExportFiles(exportFp32Fp16, { dtype: "fp16" }), {
    encoder: "onnx/encoder_model_fp16.onnx",
    decoder: { kind: "merged", merged: "onnx/decoder_model_merged_fp16.onnx" },
  });
  assert.deepEqual(await onnxVariants(exportFp32Fp16, "encoder_model"), ["fp32", "fp16"]);
});

Deno.test("a dtype the export lacks is an error listing the variants it has", async () => {
  await assert.rejects(
    () => findExportFiles(exportFp32Fp16, { dtype: "q8" }),
    (e: Error) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(
        e.message,
        /Cannot load m with dtype q8: onnx\/encoder_model_quantized\.onnx does not exist; the export has the variants fp32, fp16/,
      );
      return true;
    },
  );
});

Deno.test("a checkpoint-only model: null for fp32 or no dtype, an error for another dtype", async () => {
  const checkpointOnly = memoryFiles("c", { "model.safetensors": "" });
  assert.equal(await findExportFiles(checkpointOnly), null);
  assert.equal(await findExportFiles(checkpointOnly, { dtype: "fp32" }), null);
  await assert.rejects(
    () => findExportFiles(checkpointOnly, { dtype: "q4" }),
    /with dtype q4: .* has no ONNX export/,
  );
});

Deno.test("an encoder variant without its decoder names the decoder variants present", async () => {
  const files = memoryFiles("h", {
    "onnx/encoder_model.onnx": "",
    "onnx/encoder_model_quantized.onnx": "",
    "onnx/decoder_model_merged.onnx": "",
  });
  await assert.rejects(
    () => findExportFiles(files, { dtype: "q8" }),
    /decoder_model_merged_quantized\.onnx .* \(decoder variants present: fp32\)/,
  );
});
