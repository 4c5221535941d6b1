/**
 * npm `onnx-proto` (protobufjs-generated ONNX messages), pinned here once for every importer:
 * the version lives in the specifier so that vedge resolves when imported by path or URL from
 * any folder, without vedge's deno.json.
 * @module
 */
import onnxProto from "npm:onnx-proto@8.0.1";

export type { onnx } from "npm:onnx-proto@8.0.1";
export default onnxProto;
