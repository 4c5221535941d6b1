/**
 * RGB image -> pixel_values [1, 3, H, W], doing what transformers v4.27's `preprocess` does for
 * ViTImageProcessor (resize, rescale, normalise), DeiTImageProcessor and BeitImageProcessor
 * (resize, center crop, rescale, normalise) and DonutImageProcessor (align long axis, resize
 * shortest edge, thumbnail, pad, rescale, normalise), step for step: resizing is PIL's
 * (transformers converts to PIL and back), the rest follows the numpy code.
 * @module
 */

import { UnsupportedModelError } from "../errors.ts";
import type { ImageProcessorConfig, SizeDict } from "../config/image_processor_config.ts";
import type { FloatTensor } from "../tensor.ts";
import { type ResampleFilter, Resampling, resize } from "./resize.ts";
import { assertRgbImage, type RgbImage } from "./rgb_image.ts";
import {
  centerCrop,
  padCentered,
  rotateClockwise,
  toPixelValues,
  transposeChannelsFirst,
} from "./transforms.ts";

/** Call-time options of {@link preprocess}, as `preprocess(...)` keyword arguments. */
export interface PreprocessOptions {
  /** Donut's random_padding: not supported (vedge is deterministic); true throws. */
  randomPadding?: boolean;
}

/**
 * v4.27's `infer_channel_dimension_format` reads an HWC array whose height is 1 or 3 as
 * channels-first. For later steps of the Donut pipeline (rotate, thumbnail, pad), whose numpy
 * code v4.27 then scrambles in ways not reproduced here, refuse rather than return something else.
 */
function checkLayout(image: RgbImage, step: string): void {
  if (image.height === 1 || image.height === 3) {
    throw new RangeError(
      `Cannot ${step} a ${image.width}x${image.height} image: transformers v4.27 takes an array ${image.height} pixel(s) tall for channels-first and its result is meaningless`,
    );
  }
}

/**
 * The first step of v4.27's ViT/DeiT/BEiT `preprocess` on an image 1 or 3 pixels tall.
 * `infer_channel_dimension_format` takes the (H, W, 3) array for channels-first, so `resize`
 * hands PIL `to_channel_dimension_format(image, LAST)` = `image.transpose(1, 2, 0)`: for H = 3 an
 * RGB image 3 pixels wide and W tall whose pixel (x, y) is (row 0, row 1, row 2) of column y at
 * channel x; every later step sees a proper 3-channel array. For H = 1 PIL gets a 1-channel image
 * and `normalize` raises (its mean has 3 values for 1 channel): refused here the same way.
 */
function v427Layout(image: RgbImage, config: ImageProcessorConfig): RgbImage {
  if (image.height === 1) {
    throw new RangeError(
      `Cannot preprocess a ${image.width}x1 image: transformers v4.27 takes an array 1 pixel tall for a 1-channel channels-first image and ${config.image_processor_type} then fails (mean must have 1 element); the image needs at least 2 rows`,
    );
  }
  return image.height === 3 ? transposeChannelsFirst(image) : image;
}

function heightWidth(size: SizeDict | null, type: string, what: string): [number, number] {
  if (size && "height" in size && "width" in size) return [size.height, size.width];
  throw new UnsupportedModelError(
    `${type} needs ${what} with height and width, got ${JSON.stringify(size)}`,
  );
}

/** transformers' `get_resize_output_image_size(image, size, default_to_square=False)`. */
function shortestEdgeSize(image: RgbImage, size: number): [number, number] {
  const { height, width } = image;
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc(size * long / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

/** DonutImageProcessor.thumbnail: shrink to fit `size`, keeping the aspect ratio. */
function donutThumbnail(image: RgbImage, height: number, width: number): RgbImage {
  let h = Math.min(image.height, height);
  let w = Math.min(image.width, width);
  if (h === image.height && w === image.width) return image;
  if (image.height > image.width) w = Math.trunc(image.width * h / image.height);
  else if (image.width > image.height) h = Math.trunc(image.height * w / image.width);
  return resize(image, w, h, { resample: Resampling.BICUBIC, reducingGap: 2.0 });
}

/**
 * Runs the processor's steps up to (not including) rescale/normalise: the uint8 image that
 * becomes pixel_values.
 * @param image the RGB image (as `load_image` gives it)
 * @param config the parsed preprocessor config
 * @param options call-time options
 * @returns the resized / cropped / padded uint8 image
 */
export function prepareImage(
  image: RgbImage,
  config: ImageProcessorConfig,
  options: PreprocessOptions = {},
): RgbImage {
  assertRgbImage(image);
  const type = config.image_processor_type;
  const resample = config.resample as ResampleFilter;
  let img = image;
  if (type === "DonutImageProcessor") {
    checkLayout(img, "preprocess");
    if (options.randomPadding) {
      throw new UnsupportedModelError(
        "DonutImageProcessor random_padding=true is not supported (vedge pads deterministically)",
      );
    }
    const [h, w] = heightWidth(config.size, type, "size");
    if (
      config.do_align_long_axis &&
      ((w < h && img.width > img.height) || (w > h && img.width < img.height))
    ) {
      img = rotateClockwise(img);
      checkLayout(img, "resize");
    }
    if (config.do_resize) {
      const [oh, ow] = shortestEdgeSize(img, Math.min(h, w));
      img = resize(img, ow, oh, { resample });
      checkLayout(img, "thumbnail");
    }
    if (config.do_thumbnail) {
      img = donutThumbnail(img, h, w);
      checkLayout(img, "pad");
    }
    if (config.do_pad) img = padCentered(img, h, w);
    return img;
  }
  if (options.randomPadding) {
    throw new UnsupportedModelError(`${type} has no random_padding option`);
  }
  img = v427Layout(img, config);
  if (config.do_resize) {
    const [h, w] = heightWidth(config.size, type, "size");
    img = resize(img, w, h, { resample });
  }
  if (config.do_center_crop) {
    checkLayout(img, "center-crop");
    const [h, w] = heightWidth(config.crop_size, type, "crop_size");
    img = centerCrop(img, h, w);
  }
  checkLayout(img, "rescale");
  return img;
}

function pixelOptions(config: ImageProcessorConfig): Parameters<typeof toPixelValues>[1] {
  if (config.do_normalize && !config.do_rescale) {
    // v4.27 normalises a uint8 array with uint8 mean/std (0.5 -> 0): a division by zero.
    throw new UnsupportedModelError(
      `${config.image_processor_type} with do_normalize=true and do_rescale=false is not supported: transformers v4.27 computes it in uint8`,
    );
  }
  return {
    rescaleFactor: config.do_rescale ? config.rescale_factor : undefined,
    normalize: config.do_normalize ? { mean: config.image_mean, std: config.image_std } : undefined,
  };
}

/**
 * The image processor's output for one image: pixel_values of dims [1, 3, H, W].
 * @param image the RGB image (as `loadImage` gives it)
 * @param config the parsed preprocessor_config.json
 * @param options call-time options (random padding is refused)
 * @returns float32 pixel values, channels first
 * @example
 * ```ts
 * import { parseImageProcessorConfig } from "../config/image_processor_config.ts";
 * const config = parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor" });
 * const pv = preprocess({ width: 4, height: 4, data: new Uint8Array(48) }, config);
 * // pv.dims is [1, 3, 224, 224]
 * ```
 */
export function preprocess(
  image: RgbImage,
  config: ImageProcessorConfig,
  options: PreprocessOptions = {},
): FloatTensor {
  return preprocessBatch([image], config, options);
}

/**
 * Several images through the processor, stacked to [N, 3, H, W] (all must come out the same size).
 * @param images the RGB images
 * @param config the parsed preprocessor_config.json
 * @param options call-time options
 * @returns float32 pixel values, channels first
 */
export function preprocessBatch(
  images: readonly RgbImage[],
  config: ImageProcessorConfig,
  options: PreprocessOptions = {},
): FloatTensor {
  if (images.length === 0) throw new RangeError("preprocessBatch(): no images given");
  const pix = pixelOptions(config);
  const prepared = images.map((im) => prepareImage(im, config, options));
  const { width, height } = prepared[0];
  for (const [i, p] of prepared.entries()) {
    if (p.width !== width || p.height !== height) {
      throw new RangeError(
        `preprocessBatch(): image ${i} became ${p.width}x${p.height} but image 0 became ${width}x${height}; they cannot be stacked`,
      );
    }
  }
  const per = 3 * width * height;
  const data = new Float32Array(per * prepared.length);
  prepared.forEach((p, i) => toPixelValues(p, pix, data, i * per));
  return { data, dims: [prepared.length, 3, height, width] };
}
