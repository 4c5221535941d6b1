/**
 * What the server needs from a model, as an interface: decode an upload, caption a batch of
 * decoded images with one set of generation options (one pipeline call per batch), decode ids,
 * and describe itself. `serverModelFromPipeline` adapts the library's pipeline; tests may inject
 * a scripted model. Whatever runs behind `caption` (inline, or workers that pipeline encoder and
 * decoder) the server only sees one call per batch.
 * @module
 */
import type { GenerationConfig } from "../config/generation_config.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import type {
  CaptionOptions,
  CaptionResult,
  ImageToTextPipeline,
} from "../pipeline/image_to_text.ts";
import type { BackendReportEntry } from "../runtime/backend.ts";

/** The model behind a caption server. */
export interface ServerModel {
  /** Model id for `GET /v1/model` (the source as given). */
  readonly id: string;
  /** The model's generation defaults (generation_config.json). */
  readonly generationConfig: GenerationConfig;
  /** The backend in use and why each candidate was taken or rejected. */
  readonly backend: { device: string; report: BackendReportEntry[] };
  /** Image bytes -> RGB (throws ImageDecodeError, code IMAGE_TOO_LARGE over the pixel limit). */
  load(bytes: Uint8Array): Promise<RgbImage>;
  /** One batch, one set of options -> results in image order. */
  caption(images: RgbImage[], options: CaptionOptions): Promise<CaptionResult[]>;
  /** Token ids -> text, special tokens skipped (as the pipeline's texts). */
  decode(ids: number[]): string;
}

/**
 * Adapts an image-to-text pipeline to the server.
 * @param p the pipeline (built with the server's pixel limit)
 * @param id the model's id as given on the command line
 * @returns the server model
 */
export function serverModelFromPipeline(p: ImageToTextPipeline, id: string): ServerModel {
  return {
    id,
    generationConfig: p.generationConfig,
    backend: p.backend,
    load: (bytes) => p.load(bytes),
    caption: (images, options) => p.caption(images, options),
    decode: (ids) => p.tokenizer.decode(ids, { skipSpecialTokens: true }),
  };
}
