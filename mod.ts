/**
 * vedge: Hugging Face VisionEncoderDecoder models (image in, text out) on the edge, matching the
 * Python reference. Named re-exports only.
 * @module
 */
export {
  type CaptionOptions,
  type CaptionResult,
  type CaptionSequence,
  ImageError,
  type ImageToTextOutput,
  type ImageToTextPipeline,
  pipeline,
  type PipelineOptions,
} from "./src/pipeline/image_to_text.ts";
export {
  type WorkerBackend,
  type WorkerGenerateOptions,
  WorkerModel,
} from "./src/pipeline/worker_model.ts";
export {
  type RequestOptions,
  WorkerClient,
  type WorkerClientStats,
} from "./workers/worker_client.ts";
export type {
  LoadedInfo,
  WireError,
  WireTensor,
  WorkerModelOptions,
  WorkerRequest,
  WorkerRequestBody,
  WorkerResponse,
  WorkerRole,
} from "./workers/protocol.ts";
export type { DecoderPartStats } from "./src/model/model_parts.ts";
export {
  type ForwardInputs,
  type ForwardOutputs,
  type ModelLoadOptions,
  type ModelStats,
  VisionEncoderDecoderModel,
} from "./src/model/vision_encoder_decoder.ts";
export { parseModelConfig } from "./src/config/config_registry.ts";
export type { ConfigFamily, ModelConfig, NormalisedConfig } from "./src/config/model_config.ts";
export type { FieldCheck, FieldKind, FieldSpec, FieldTable } from "./src/config/config_fields.ts";
export type { PretrainedConfigFields } from "./src/config/pretrained_config.ts";
export { VisionEncoderDecoderConfig } from "./src/config/vision_encoder_decoder_config.ts";
export { type LoadedConfig, loadModelConfig } from "./src/config/load_model_config.ts";
export {
  type EarlyStopping,
  type GenerationConfig,
  type GenerationOptions,
  resolveGenerationConfig,
  validateGenerationOptions,
} from "./src/config/generation_config.ts";
export {
  type DecoderShape,
  DEFAULT_GENERATION_LIMITS,
  estimateGenerationMemory,
  type GenerationLimits,
  type LimitedConfig,
  type MemoryEstimate,
} from "./src/config/generation_limits.ts";
export {
  type ImageProcessorConfig,
  type ImageProcessorType,
  parseImageProcessorConfig,
  type SizeDict,
} from "./src/config/image_processor_config.ts";
export {
  generate,
  type GenerateOptions,
  type GenerateOutput,
  generateStream,
  type TokenStreamer,
} from "./src/generation/generate.ts";
export { TextStreamer } from "./src/generation/text_streamer.ts";
export type { DecoderCache, DecoderStepper, StepOutput } from "./src/generation/decoder_stepper.ts";
export {
  type ImageInput,
  loadImage,
  type LoadImageOptions,
  type RawImageInput,
} from "./src/image/load_image.ts";
export { decodeImage, type DecodeImageOptions } from "./src/image/decode.ts";
export { type CodecModules, initCodecs } from "./src/image/codecs.ts";
export { preprocess, preprocessBatch, type PreprocessOptions } from "./src/image/processor.ts";
export { type ResampleFilter, Resampling, resize, type ResizeOptions } from "./src/image/resize.ts";
export type { RgbImage } from "./src/image/rgb_image.ts";
export { loadTokenizer, type LoadTokenizerOptions } from "./src/tokenizer/load_tokenizer.ts";
export type {
  DecodeOptions,
  EncodeOptions,
  SpecialTokenIds,
  TextTokenizer,
} from "./src/tokenizer/text_tokenizer.ts";
export {
  type ResolvedModelFiles,
  resolveModelFiles,
  type ResolveModelFilesOptions,
} from "./src/hub/resolve_model_files.ts";
export type { Dtype, DtypeOption } from "./src/hub/onnx_file_path.ts";
export type { DownloadProgress } from "./src/hub/remote_files.ts";
export type { ModelSource } from "./src/hub/source.ts";
export type { ModelFiles } from "./src/hub/model_files.ts";
export type { FileInfo, FileType, Platform, ReadFileOptions } from "./src/platform/platform.ts";
export type { FileKind, ReadLimits } from "./src/platform/read_limits.ts";
export { type Ort, type OrtBuild, provideOrt } from "./src/runtime/ort.ts";
export {
  type Backend,
  type BackendOptions,
  type BackendReportEntry,
  type DeviceRequest,
  selectBackend,
} from "./src/runtime/backend.ts";
export {
  AbortError,
  BackendUnavailableError,
  ImageDecodeError,
  ModelLoadError,
  UnsupportedModelError,
  VedgeError,
  WorkerDiedError,
} from "./src/errors.ts";
export type { FloatTensor } from "./src/tensor.ts";
export {
  type CaptionServer,
  type CaptionServerOptions,
  createCaptionServer,
} from "./src/server/handler.ts";
export { type ServerModel, serverModelFromPipeline } from "./src/server/server_model.ts";
export { DEFAULT_LIMITS, type ServerLimits } from "./src/server/limits.ts";
export type { BatcherStats } from "./src/server/batcher.ts";
export type { WeightMap } from "./src/weights/weight_map.ts";
export type { WeightDtype, WeightTensor } from "./src/weights/weight_tensor.ts";
