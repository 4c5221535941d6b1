/**
 * What `caption --verbose` says about a loaded model: the backend chosen and why each candidate
 * was taken or rejected (src/runtime/backend.ts's report), where the graphs came from (the ONNX
 * export or vedge's own graphs built from the checkpoint), the dtype, and the files used.
 * @module
 */
import type { ModelFiles } from "../hub/model_files.ts";
import type { Backend } from "../runtime/backend.ts";
import { findExportFiles } from "../runtime/onnx_files.ts";
import type { ModelLoadOptions } from "../model/model_options.ts";

/** What the report reads of a loaded model (a VisionEncoderDecoderModel satisfies it). */
export interface ReportedModel {
  readonly files: ModelFiles | null;
  readonly backend: Backend;
  /** Non-null when vedge built its own graphs from checkpoint weights. */
  readonly weights: unknown;
}

/**
 * The checkpoint file a model was built from, probed in the order loadCheckpoint
 * (src/weights/checkpoint.ts) tries them.
 */
async function checkpointFile(
  files: ModelFiles,
  prefer: "safetensors" | "pytorch",
): Promise<string> {
  const safetensors = ["model.safetensors", "model.safetensors.index.json"];
  const pytorch = ["pytorch_model.bin", "pytorch_model.bin.index.json"];
  for (
    const f of prefer === "pytorch" ? [...pytorch, ...safetensors] : [...safetensors, ...pytorch]
  ) {
    if (await files.has(f)) return f;
  }
  return "(none found)";
}

/**
 * The --verbose lines for a loaded model.
 * @param model the loaded model
 * @param options the load options it was loaded with (dtype, decoder, from)
 * @returns lines, without the "vedge: " prefix
 */
export async function describeModel(
  model: ReportedModel,
  options: ModelLoadOptions,
): Promise<string[]> {
  const lines = model.backend.report.map((r) =>
    `backend ${r.device}: ${r.accepted ? "chosen" : "rejected"}: ${r.reason}`
  );
  const files = model.files;
  if (model.weights !== null) {
    const file = files
      ? await checkpointFile(files, options.from === "pytorch" ? "pytorch" : "safetensors")
      : "(built in memory)";
    lines.push("source: checkpoint (vedge builds its own graphs from the weights), dtype fp32");
    lines.push(`files: ${file}`);
    return lines;
  }
  lines.push(`source: ONNX export, dtype ${describeDtype(options.dtype)}`);
  const layout = files ? await findExportFiles(files, options) : null;
  if (layout) {
    const decoder = layout.decoder.kind === "merged"
      ? [layout.decoder.merged]
      : [layout.decoder.first, layout.decoder.withPast];
    lines.push(`files: ${[layout.encoder, ...decoder].join(", ")}`);
  }
  return lines;
}

function describeDtype(dtype: ModelLoadOptions["dtype"]): string {
  if (dtype === undefined) return "fp32";
  return typeof dtype === "string" ? dtype : JSON.stringify(dtype);
}
