/**
 * The error of one image of a batch: which image (index and name), and why, while the batch's
 * other images are still captioned.
 * @module
 */
import { VedgeError } from "../errors.ts";

/** One image of a batch could not be read, decoded or preprocessed. */
export class ImageError extends VedgeError {
  /** Position of the image in the call's input. */
  readonly index: number;
  /** The image as given (path or URL), or "image <index>" for bytes and decoded images. */
  readonly image: string;

  /**
   * The error of image `index`, its message prefixed with the image's name.
   * @param index position in the input
   * @param image the image's name
   * @param cause the error of its decoding or preprocessing; its `code` is kept when it has one
   */
  constructor(index: number, image: string, cause: unknown) {
    const message = String((cause as Error)?.message ?? cause).split("\n")[0];
    const code = cause instanceof VedgeError ? cause.code : "IMAGE_INVALID";
    super(code, `${image}: ${message}`, { cause });
    this.index = index;
    this.image = image;
  }
}
