/**
 * vedge: Hugging Face VisionEncoderDecoder models (image in, text out) on the edge, matching the
 * Python reference. Named re-exports only.
 * @module
 */
export {
  type CaptionOptions,
  type CaptionResult,
  type CaptionSequence,
  type ImageToTextOutput,
  type ImageToTextPipeline,
  pipeline,
  type PipelineOptions,
} from "./src/pipeline/image_to_text.ts";
export {
  type ForwardInputs,
  type ForwardOutputs,
  type ModelLoadOptions,
  type ModelStats,
  VisionEncoderDecoderModel,
} from "./src/model/vision_encoder_decoder.ts";
export { parseModelConfig } from "./src/config/config_registry.ts";
export { VisionEncoderDecoderConfig } from "./src/config/vision_encoder_decoder_config.ts";
export { loadModelConfig } from "./src/config/load_model_config.ts";
export {
  type GenerationConfig,
  type GenerationOptions,
  resolveGenerationConfig,
} from "./src/config/generation_config.ts";
export { parseImageProcessorConfig } from "./src/config/image_processor_config.ts";
export { generate, type GenerateOutput, generateStream } from "./src/generation/generate.ts";
export { TextStreamer } from "./src/generation/text_streamer.ts";
export type { DecoderCache, DecoderStepper, StepOutput } from "./src/generation/decoder_stepper.ts";
export { type ImageInput, loadImage } from "./src/image/load_image.ts";
export { decodeImage } from "./src/image/decode.ts";
export { initCodecs } from "./src/image/codecs.ts";
export { preprocess, preprocessBatch } from "./src/image/processor.ts";
export { Resampling, resize } from "./src/image/resize.ts";
export type { RgbImage } from "./src/image/rgb_image.ts";
export { loadTokenizer } from "./src/tokenizer/load_tokenizer.ts";
export type { TextTokenizer } from "./src/tokenizer/text_tokenizer.ts";
export { resolveModelFiles } from "./src/hub/resolve_model_files.ts";
export type { ModelFiles } from "./src/hub/model_files.ts";
export { provideOrt } from "./src/runtime/ort.ts";
export { type Backend, selectBackend } from "./src/runtime/backend.ts";
export {
  AbortError,
  BackendUnavailableError,
  ImageDecodeError,
  ModelLoadError,
  UnsupportedModelError,
  VedgeError,
} from "./src/errors.ts";
export type { FloatTensor } from "./src/tensor.ts";
export {
  type CaptionServer,
  type CaptionServerOptions,
  createCaptionServer,
} from "./src/server/handler.ts";
export { type ServerModel, serverModelFromPipeline } from "./src/server/server_model.ts";
export { DEFAULT_LIMITS, type ServerLimits } from "./src/server/limits.ts";
