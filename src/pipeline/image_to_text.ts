/**
 * `pipeline("image-to-text", source, options)`, shaped like transformers.js: the returned function
 * takes one image or several and resolves to `[{generated_text}]` per image. It strings the stages
 * together in data-flow order: source -> files -> image -> pixel_values -> model.generate ->
 * token ids -> text. `caption()` gives the full result (token ids, beam scores) the CLI prints.
 *
 * A bad image fails alone: with several images, each one that cannot be read, decoded or
 * preprocessed gets an {@link ImageError} (naming it) in its place, and the others are captioned
 * together. `load()` already preprocesses (and keeps the pixel values with the image), so an image
 * the model's processor refuses fails where it is decoded, under its own name.
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
import { ImageError } from "./image_error.ts";
import { AbortError } from "../errors.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import {
  type ModelLoadOptions,
  VisionEncoderDecoderModel,
} from "../model/vision_encoder_decoder.ts";
import { detectPlatform } from "../platform/detect.ts";
import type { Platform } from "../platform/platform.ts";
import type { FloatTensor } from "../tensor.ts";
import type { GenerationConfig } from "../config/generation_config.ts";
import { canStartWorkers } from "../platform/worker_port.ts";
import { type WorkerBackend, WorkerModel, workerModelOptions } from "./worker_model.ts";
import { loadTokenizer } from "../tokenizer/load_tokenizer.ts";
import type { TextTokenizer } from "../tokenizer/text_tokenizer.ts";

/** Options of {@link pipeline}. */
export interface PipelineOptions extends ModelLoadOptions, ResolveModelFilesOptions {
  /** Host adapter (found by capability when omitted). */
  platform?: Platform;
  /** Largest image accepted, in pixels (PIL's decompression-bomb limit by default). */
  maxPixels?: number;
  /**
   * Run the encoder and the decoder in two Web Workers, pipelined across images (see
   * src/pipeline/worker_model.ts). "auto" uses them where the host can start workers and the
   * options can cross (no custom `fetch`), else runs inline; true requires them; false (the
   * default) runs everything on the calling thread. Results are identical either way.
   */
  workers?: "auto" | boolean;
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

/** The result for one image: its sequences, or (sequences empty) why it failed. */
export interface CaptionResult {
  /** The image's sequences, best first (empty when `error` is set). */
  sequences: CaptionSequence[];
  /** Set when this image could not be preprocessed; the batch's other images are unaffected. */
  error?: ImageError;
}

/** The transformers.js-shaped output for one image. */
export type ImageToTextOutput = { generated_text: string }[];

export { ImageError };

/** The callable pipeline. */
export interface ImageToTextPipeline {
  /**
   * One image -> `[{generated_text}]` (a bad image rejects); an array -> one such list per image,
   * or an {@link ImageError} in the place of each image that could not be read, decoded or
   * preprocessed. Errors that concern every image (options, the model) reject the call.
   */
  (image: ImageInput, options?: CaptionOptions): Promise<ImageToTextOutput>;
  (images: ImageInput[], options?: CaptionOptions): Promise<(ImageToTextOutput | ImageError)[]>;
  /** The task name, as transformers.js reports it. */
  readonly task: "image-to-text";
  /**
   * The model, when it runs on this thread. With workers there is none here: reading it throws
   * a TypeError that points to `workers`, `backend` and `generationConfig`.
   */
  readonly model: VisionEncoderDecoderModel;
  /** The model's two workers, when it runs in them (null inline). */
  readonly workers: WorkerModel | null;
  /** The model's generation defaults. */
  readonly generationConfig: GenerationConfig;
  /** The backend the model runs on, and why each candidate was taken or refused. */
  readonly backend: WorkerBackend;
  /** The model's tokenizer (decodes the generated ids). */
  readonly tokenizer: TextTokenizer;
  /** The model's preprocessor_config.json, parsed. */
  readonly processorConfig: ImageProcessorConfig;
  /**
   * Decodes an image to RGB (paths read through the platform) and checks that the model's
   * processor accepts it (its pixel values are kept with the image for `caption`).
   */
  load(image: ImageInput): Promise<RgbImage>;
  /** RGB images -> pixel_values [N, 3, H, W]. */
  preprocess(images: RgbImage[]): FloatTensor;
  /** Full results for decoded images, in order; an image that cannot be preprocessed gets `error`. */
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
  const useWorkers = await wantWorkers(options);
  const platform = options.platform ?? await detectPlatform();
  const files = await resolveModelFiles(source, { ...options, platform });
  const [loaded, tokenizerLoaded, processorLoaded] = await Promise.allSettled([
    useWorkers
      ? WorkerModel.start(String(source), workerModelOptions({ ...options }))
      : VisionEncoderDecoderModel.fromFiles(files, options),
    loadTokenizer(files),
    readJson(files, "preprocessor_config.json").then((j) => parseImageProcessorConfig(j)),
  ]);
  for (const r of [loaded, tokenizerLoaded, processorLoaded]) {
    if (r.status === "rejected") {
      // free the sessions of a model loaded beside a tokenizer or processor that failed
      if (loaded.status === "fulfilled") await loaded.value.dispose();
      throw r.reason;
    }
  }
  const loadedModel = (loaded as PromiseFulfilledResult<VisionEncoderDecoderModel | WorkerModel>)
    .value;
  const model = loadedModel instanceof VisionEncoderDecoderModel ? loadedModel : null;
  const workers = loadedModel instanceof WorkerModel ? loadedModel : null;
  const tokenizer = (tokenizerLoaded as PromiseFulfilledResult<TextTokenizer>).value;
  const processorConfig = (processorLoaded as PromiseFulfilledResult<ImageProcessorConfig>).value;
  const loadOptions: LoadImageOptions = {
    maxPixels: options.maxPixels,
    // the platform's bounded read, with the image limit loadImage gives (FIFOs, devices refused)
    readFile: (path, limit) => platform.readFile(path, limit),
  };

  // pixel values [1, 3, H, W] of each image seen, computed once (by load or on first use)
  const prepared = new WeakMap<RgbImage, FloatTensor>();
  const pixelsOf = (image: RgbImage): FloatTensor => {
    let p = prepared.get(image);
    if (!p) {
      p = preprocessBatch([image], processorConfig);
      prepared.set(image, p);
    }
    return p;
  };
  const load = async (image: ImageInput, signal?: AbortSignal): Promise<RgbImage> => {
    const rgb = await loadImage(image, signal ? { ...loadOptions, signal } : loadOptions);
    pixelsOf(rgb);
    return rgb;
  };
  const preprocess = (images: RgbImage[]): FloatTensor => {
    if (images.length === 0) throw new RangeError("preprocess(): no images given");
    return stack(images.map(pixelsOf));
  };

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
    const results: CaptionResult[] = [];
    const good: { at: number; pixels: FloatTensor }[] = [];
    images.forEach((image, i) => {
      try {
        good.push({ at: i, pixels: pixelsOf(image) });
        results.push({ sequences: [] });
      } catch (e) {
        results.push({ sequences: [], error: new ImageError(i, `image ${i}`, e) });
      }
    });
    if (good.length === 0) return results;
    const out = workers
      ? await workers.generate(good.map((g) => g.pixels), { ...generation, ...run })
      : await model!.generate(stack(good.map((g) => g.pixels)), { ...generation, ...run });
    const perImage = out.sequences.length / good.length;
    const texts = tokenizer.batchDecode(out.sequences, { skipSpecialTokens: true });
    good.forEach(({ at }, i) => {
      results[at].sequences = out.sequences.slice(i * perImage, (i + 1) * perImage).map((
        ids,
        j,
      ) => ({
        text: texts[i * perImage + j],
        tokenIds: ids,
        score: out.sequencesScores ? out.sequencesScores[i * perImage + j] : null,
      }));
    });
    return results;
  };

  async function run(
    input: ImageInput | ImageInput[],
    callOptions?: CaptionOptions,
  ): Promise<ImageToTextOutput | (ImageToTextOutput | ImageError)[]> {
    if (!Array.isArray(input)) {
      const [result] = await caption([await load(input, callOptions?.signal)], callOptions);
      if (result.error) throw result.error.cause;
      return result.sequences.map((s) => ({ generated_text: s.text }));
    }
    const signal = callOptions?.signal;
    const loaded = await Promise.allSettled(input.map((x) => load(x, signal)));
    // an abort is the call's, not an image's
    if (signal?.aborted) throw new AbortError("captioning aborted", { cause: signal.reason });
    const out: (ImageToTextOutput | ImageError)[] = loaded.map((r, i) =>
      r.status === "rejected" ? new ImageError(i, imageName(input[i], i), r.reason) : []
    );
    const good = loaded.flatMap((r, i) =>
      r.status === "fulfilled" ? [{ at: i, image: r.value }] : []
    );
    if (good.length === 0) return out;
    const results = await caption(good.map((g) => g.image), callOptions);
    good.forEach(({ at }, j) => {
      const r = results[j];
      out[at] = r.error
        ? new ImageError(at, imageName(input[at], at), r.error.cause)
        : r.sequences.map((s) => ({ generated_text: s.text }));
    });
    return out;
  }

  const fields = Object.assign(run as ImageToTextPipeline, {
    task: "image-to-text" as const,
    workers,
    generationConfig: loadedModel.generationConfig,
    backend: { device: loadedModel.backend.device, report: loadedModel.backend.report },
    tokenizer,
    processorConfig,
    load,
    preprocess,
    caption,
    dispose: () => loadedModel.dispose(),
  });
  return Object.defineProperty(fields, "model", {
    enumerable: true,
    get(): VisionEncoderDecoderModel {
      if (model) return model;
      throw new TypeError(
        "captioner.model: the model runs in Web Workers (workers option); use captioner.workers, captioner.backend and captioner.generationConfig",
      );
    },
  });
}

/**
 * Whether to run the model in workers.
 * @param options the pipeline's options
 * @returns the decision (true only where workers can start)
 */
async function wantWorkers(options: PipelineOptions): Promise<boolean> {
  const w = options.workers ?? false;
  if (w !== "auto" && typeof w !== "boolean") {
    throw new TypeError(`workers must be "auto", true or false, got ${JSON.stringify(w)}`);
  }
  if (w === false) return false;
  const able = await canStartWorkers();
  const reason = !able
    ? "this host cannot start Web Workers"
    : options.fetch
    ? "a custom fetch cannot be sent to a worker"
    : null;
  if (reason === null) return true;
  if (w === true) throw new TypeError(`workers: true, but ${reason}; use workers: "auto" or false`);
  return false;
}

/** How an input image is named in errors: a path or URL as given, else its position. */
function imageName(input: ImageInput, index: number): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return `image ${index}`;
}

/** Stacks single-image pixel values [1, 3, H, W] into [N, 3, H, W]. */
function stack(parts: FloatTensor[]): FloatTensor {
  if (parts.length === 1) return parts[0];
  const dims = parts[0].dims;
  for (const [i, p] of parts.entries()) {
    if (p.dims.some((d, k) => d !== dims[k])) {
      throw new RangeError(
        `image ${i} became ${p.dims.slice(2).join("x")} pixel values but image 0 became ${
          dims.slice(2).join("x")
        }; they cannot be stacked`,
      );
    }
  }
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * per));
  return { data, dims: [parts.length, ...dims.slice(1)] };
}
