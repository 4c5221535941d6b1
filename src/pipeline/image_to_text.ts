/**
 * `pipeline("image-to-text", source, options)`, shaped like transformers.js: the returned function
 * takes one image or several and resolves to `[{generated_text}]` per image. It strings the stages
 * together in data-flow order: source -> files -> image -> pixel_values -> model.generate ->
 * token ids -> text. `caption()` gives the full result (token ids, beam scores) the CLI prints.
 * @module
 */
import { parseImageProcessorConfig } from "../config/image_processor_config.ts";
import type { ImageProcessorConfig } from "../config/image_processor_config.ts";
import type { GenerationOptions } from "../config/generation_config.ts";
import type { GenerateOptions } from "../generation/generate.ts";
import { TextStreamer } from "../generation/text_streamer.ts";
import { readJson } from "../hub/model_files.ts";
import { resolveModelFiles, type ResolveModelFilesOptions } from "../hub/resolve_model_files.ts";
import { type ImageInput, loadImage, type LoadImageOptions } from "../image/load_image.ts";
import { preprocessBatch } from "../image/processor.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import {
  type ModelLoadOptions,
  VisionEncoderDecoderModel,
} from "../model/vision_encoder_decoder.ts";
import { detectPlatform } from "../platform/detect.ts";
import type { Platform } from "../platform/platform.ts";
import type { FloatTensor } from "../tensor.ts";
import { loadTokenizer } from "../tokenizer/load_tokenizer.ts";
import type { TextTokenizer } from "../tokenizer/text_tokenizer.ts";

/** Options of {@link pipeline}. */
export interface PipelineOptions extends ModelLoadOptions, ResolveModelFilesOptions {
  /** Host adapter (found by capability when omitted). */
  platform?: Platform;
  /** Largest image accepted, in pixels (PIL's decompression-bomb limit by default). */
  maxPixels?: number;
}

/** Per-call options: generation settings (camelCase or snake_case) and run controls. */
export type CaptionOptions = GenerationOptions & {
  signal?: AbortSignal;
  /** Called with each new piece of text (greedy and sampling, one image). */
  onText?: (text: string) => void;
};

/** One generated sequence. */
export interface CaptionSequence {
  /** Decoded with special tokens skipped and spaces cleaned up, as Python's batch_decode. */
  text: string;
  /** Exactly what Python's generate() returns: decoder start token first. */
  tokenIds: number[];
  /** Beam search's sequences_scores entry, else null. */
  score: number | null;
}

/** The result for one image. */
export interface CaptionResult {
  sequences: CaptionSequence[];
}

/** The transformers.js-shaped output for one image. */
export type ImageToTextOutput = { generated_text: string }[];

/** The callable pipeline. */
export interface ImageToTextPipeline {
  /** One image -> `[{generated_text}]`; an array -> one such list per image. */
  (image: ImageInput, options?: CaptionOptions): Promise<ImageToTextOutput>;
  (images: ImageInput[], options?: CaptionOptions): Promise<ImageToTextOutput[]>;
  readonly task: "image-to-text";
  readonly model: VisionEncoderDecoderModel;
  readonly tokenizer: TextTokenizer;
  readonly processorConfig: ImageProcessorConfig;
  /** Decodes images to RGB (paths read through the platform). */
  load(image: ImageInput): Promise<RgbImage>;
  /** RGB images -> pixel_values [N, 3, H, W]. */
  preprocess(images: RgbImage[]): FloatTensor;
  /** Full results for decoded images, in order. */
  caption(images: RgbImage[], options?: CaptionOptions): Promise<CaptionResult[]>;
  /** Frees the model's sessions. */
  dispose(): Promise<void>;
}

/**
 * Builds an image-to-text pipeline.
 * @param task must be "image-to-text"
 * @param source a folder, an http(s) base URL, or a Hub id
 * @param options backend, dtype, Hub and cache settings
 * @returns the callable pipeline
 * @example
 * ```ts ignore
 * const captioner = await pipeline("image-to-text", "Xenova/vit-gpt2-image-captioning");
 * const [{ generated_text }] = await captioner("cat.jpg", { num_beams: 4 });
 * ```
 */
export async function pipeline(
  task: "image-to-text",
  source: string | URL,
  options: PipelineOptions = {},
): Promise<ImageToTextPipeline> {
  if (task !== "image-to-text") {
    throw new TypeError(`pipeline(): only the "image-to-text" task is supported, got ${task}`);
  }
  const platform = options.platform ?? await detectPlatform();
  const files = await resolveModelFiles(source, { ...options, platform });
  const [model, tokenizer, processorConfig] = await Promise.all([
    VisionEncoderDecoderModel.fromFiles(files, options),
    loadTokenizer(files),
    readJson(files, "preprocessor_config.json").then((j) => parseImageProcessorConfig(j)),
  ]);
  const loadOptions: LoadImageOptions = {
    maxPixels: options.maxPixels,
    readFile: async (path) => {
      const bytes = await platform.readFile(path);
      if (!bytes) throw new Error("no such file");
      return bytes;
    },
  };

  const load = (image: ImageInput): Promise<RgbImage> => loadImage(image, loadOptions);
  const preprocess = (images: RgbImage[]): FloatTensor => preprocessBatch(images, processorConfig);

  const caption = async (
    images: RgbImage[],
    callOptions: CaptionOptions = {},
  ): Promise<CaptionResult[]> => {
    const { signal, onText, ...generation } = callOptions;
    const run: GenerateOptions = { signal };
    if (onText) {
      if (images.length !== 1) throw new RangeError("onText streams the caption of one image");
      const decode = (ids: number[]): string => tokenizer.decode(ids, { skipSpecialTokens: true });
      const streamer = new TextStreamer({ decode, onText });
      run.streamer = streamer;
    }
    const out = await model.generate(preprocess(images), { ...generation, ...run });
    const perImage = out.sequences.length / images.length;
    const texts = tokenizer.batchDecode(out.sequences, { skipSpecialTokens: true });
    return images.map((_, i) => ({
      sequences: out.sequences.slice(i * perImage, (i + 1) * perImage).map((ids, j) => ({
        text: texts[i * perImage + j],
        tokenIds: ids,
        score: out.sequencesScores ? out.sequencesScores[i * perImage + j] : null,
      })),
    }));
  };

  async function run(
    input: ImageInput | ImageInput[],
    callOptions?: CaptionOptions,
  ): Promise<ImageToTextOutput | ImageToTextOutput[]> {
    const many = Array.isArray(input);
    const images = await Promise.all((many ? input : [input]).map(load));
    const results = await caption(images, callOptions);
    const shaped = results.map((r) => r.sequences.map((s) => ({ generated_text: s.text })));
    return many ? shaped : shaped[0];
  }

  return Object.assign(run as ImageToTextPipeline, {
    task: "image-to-text" as const,
    model,
    tokenizer,
    processorConfig,
    load,
    preprocess,
    caption,
    dispose: () => model.dispose(),
  });
}
