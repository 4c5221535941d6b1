/**
 * preprocessor_config.json -> a typed image-processor config with the defaults of transformers
 * v4.27's ViTImageProcessor, DeiTImageProcessor, BeitImageProcessor and DonutImageProcessor
 * (and their legacy `*FeatureExtractor` names), including `get_size_dict`'s conversions of the
 * old `size` / `crop_size` forms (int, [w, h] lists for Donut).
 * @module
 */

import { ModelLoadError, UnsupportedModelError } from "../errors.ts";

/** The image processor classes vedge implements. */
export type ImageProcessorType =
  | "ViTImageProcessor"
  | "DeiTImageProcessor"
  | "BeitImageProcessor"
  | "DonutImageProcessor";

/** transformers' size dict: one of the key sets `get_size_dict` accepts. */
export type SizeDict =
  | { height: number; width: number }
  | { shortest_edge: number }
  | { shortest_edge: number; longest_edge: number }
  | { longest_edge: number };

/** A parsed preprocessor_config.json: every option the processor reads, defaults filled in. */
export interface ImageProcessorConfig {
  /** The Python processor class. */
  image_processor_type: ImageProcessorType;
  /** Whether images are resized. */
  do_resize: boolean;
  /** Target size of the resize. */
  size: SizeDict;
  /** PIL resampling filter number (0 NEAREST ... 5 HAMMING). */
  resample: number;
  /** DeiT and BEiT only (false for the others). */
  do_center_crop: boolean;
  /** Center-crop size, or null. */
  crop_size: SizeDict | null;
  /** Whether pixel values are multiplied by rescale_factor. */
  do_rescale: boolean;
  /** Factor of the rescale (1/255). */
  rescale_factor: number;
  /** Whether (x - mean) / std is applied. */
  do_normalize: boolean;
  /** Per-channel mean (or one for all). */
  image_mean: number | number[];
  /** Per-channel std (or one for all). */
  image_std: number | number[];
  /** Donut only (false for the others). */
  do_thumbnail: boolean;
  /** Donut: rotate so the long axis matches the target's. */
  do_align_long_axis: boolean;
  /** Donut: pad to the target size. */
  do_pad: boolean;
  /** Keys of the file that this processor class does not read (Python keeps them as attributes). */
  ignored_keys: string[];
}

const IMAGENET_STANDARD_MEAN = [0.5, 0.5, 0.5];
const IMAGENET_STANDARD_STD = [0.5, 0.5, 0.5];
const IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225];

type Defaults = Omit<ImageProcessorConfig, "image_processor_type" | "ignored_keys">;

const COMMON = {
  do_resize: true,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  do_center_crop: false,
  crop_size: null,
  do_thumbnail: false,
  do_align_long_axis: false,
  do_pad: false,
} as const;

/** The Python `__init__` defaults of each class (v4.27). */
const DEFAULTS: Record<ImageProcessorType, Defaults> = {
  ViTImageProcessor: {
    ...COMMON,
    size: { height: 224, width: 224 },
    resample: 2,
    image_mean: IMAGENET_STANDARD_MEAN,
    image_std: IMAGENET_STANDARD_STD,
  },
  DeiTImageProcessor: {
    ...COMMON,
    size: { height: 256, width: 256 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    image_mean: IMAGENET_DEFAULT_MEAN,
    image_std: IMAGENET_DEFAULT_STD,
  },
  BeitImageProcessor: {
    ...COMMON,
    size: { height: 256, width: 256 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    image_mean: IMAGENET_STANDARD_MEAN,
    image_std: IMAGENET_STANDARD_STD,
  },
  DonutImageProcessor: {
    ...COMMON,
    size: { height: 2560, width: 1920 },
    resample: 2,
    do_thumbnail: true,
    do_align_long_axis: false,
    do_pad: true,
    image_mean: IMAGENET_STANDARD_MEAN,
    image_std: IMAGENET_STANDARD_STD,
  },
};

/** The keys each class's `__init__` takes (others are stored, unused, as attributes). */
const READ_KEYS: Record<ImageProcessorType, string[]> = {
  ViTImageProcessor: ["do_resize", "size", "resample", "do_rescale", "rescale_factor"],
  DeiTImageProcessor: [
    "do_resize",
    "size",
    "resample",
    "do_center_crop",
    "crop_size",
    "do_rescale",
    "rescale_factor",
  ],
  BeitImageProcessor: [
    "do_resize",
    "size",
    "resample",
    "do_center_crop",
    "crop_size",
    "do_rescale",
    "rescale_factor",
    "do_reduce_labels",
    "reduce_labels",
  ],
  DonutImageProcessor: [
    "do_resize",
    "size",
    "resample",
    "do_thumbnail",
    "do_align_long_axis",
    "do_pad",
    "do_rescale",
    "rescale_factor",
  ],
};
const ALWAYS_READ = [
  "do_normalize",
  "image_mean",
  "image_std",
  "image_processor_type",
  "feature_extractor_type",
  "processor_class",
  "_processor_class",
  "auto_map",
];

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/**
 * transformers' `get_size_dict` (v4.27): int -> square (or shortest_edge), [h, w] list -> dict,
 * dicts checked against the allowed key sets.
 * @param size the raw value
 * @param options `defaultToSquare` (default true), `heightWidthOrder` (default true), `paramName`
 * @returns the size dict
 */
export function getSizeDict(
  size: unknown,
  options: { defaultToSquare?: boolean; heightWidthOrder?: boolean; paramName?: string } = {},
): SizeDict {
  const name = options.paramName ?? "size";
  const positive = (v: unknown): boolean => isInt(v) && v > 0;
  if (isInt(size)) {
    if (!(size > 0)) throw new ModelLoadError(`${name} must be a positive integer, got ${size}`);
    return options.defaultToSquare === false
      ? { shortest_edge: size }
      : { height: size, width: size };
  }
  if (Array.isArray(size)) {
    if (size.length !== 2 || !size.every(positive)) {
      throw new ModelLoadError(`${name} ${JSON.stringify(size)} must be two positive integers`);
    }
    return options.heightWidthOrder === false
      ? { height: size[1], width: size[0] }
      : { height: size[0], width: size[1] };
  }
  if (size && typeof size === "object") {
    const keys = Object.keys(size).sort().join(",");
    const values = Object.values(size);
    const allowed = ["height,width", "shortest_edge", "longest_edge,shortest_edge", "longest_edge"];
    if (allowed.includes(keys) && values.every(positive)) return { ...size } as SizeDict;
    throw new ModelLoadError(
      `${name} must have one of the key sets {height, width}, {shortest_edge}, {shortest_edge, longest_edge}, {longest_edge} with positive integers, got ${
        JSON.stringify(size)
      }`,
    );
  }
  throw new ModelLoadError(`Could not convert ${name} input to size dict: ${JSON.stringify(size)}`);
}

/**
 * Names the processor class of a preprocessor config as AutoImageProcessor does
 * (`image_processor_type`, else `feature_extractor_type` with FeatureExtractor -> ImageProcessor).
 * @param json the parsed preprocessor_config.json
 * @param fallback the class to use when the file names none (chosen from the model's config)
 * @returns the supported class name; UnsupportedModelError for any other
 */
export function imageProcessorType(
  json: Record<string, unknown>,
  fallback?: ImageProcessorType,
): ImageProcessorType {
  let name = json.image_processor_type ?? json.feature_extractor_type;
  if (typeof name === "string") name = name.replace("FeatureExtractor", "ImageProcessor");
  if (name === undefined || name === null) {
    if (fallback) return fallback;
    throw new UnsupportedModelError(
      "preprocessor_config.json names no image_processor_type or feature_extractor_type",
    );
  }
  if (typeof name !== "string" || !Object.hasOwn(DEFAULTS, name)) {
    throw new UnsupportedModelError(
      `Unsupported image processor ${JSON.stringify(name)}: vedge implements ${
        Object.keys(DEFAULTS).join(", ")
      } (and their FeatureExtractor names)`,
    );
  }
  return name as ImageProcessorType;
}

function checkKind(key: string, v: unknown, kind: "bool" | "number" | "floats"): void {
  const ok = kind === "bool"
    ? typeof v === "boolean"
    : kind === "number"
    ? typeof v === "number" && Number.isFinite(v)
    : (typeof v === "number" && Number.isFinite(v)) ||
      (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number"));
  if (!ok) {
    throw new ModelLoadError(
      `preprocessor_config.json field ${key} must be ${
        kind === "floats" ? "a number or a list of numbers" : `a ${kind}`
      }, got ${JSON.stringify(v)}`,
    );
  }
}

/** RGB: a mean or std list must have one value per channel (or be a single number). */
function checkPerChannel(key: string, v: number | number[]): void {
  if (Array.isArray(v) && v.length !== 1 && v.length !== 3) {
    throw new ModelLoadError(
      `preprocessor_config.json field ${key} must have 3 values (one per RGB channel), got ` +
        JSON.stringify(v),
    );
  }
}

/**
 * Parses preprocessor_config.json as the v4.27 processor class's `from_dict` would.
 * @param json the parsed JSON object
 * @param options `fallbackType` when the file names no class
 * @returns the typed config with Python defaults filled in
 */
export function parseImageProcessorConfig(
  json: unknown,
  options: { fallbackType?: ImageProcessorType } = {},
): ImageProcessorConfig {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new ModelLoadError("preprocessor_config.json must hold a JSON object");
  }
  const raw = json as Record<string, unknown>;
  const type = imageProcessorType(raw, options.fallbackType);
  const d = DEFAULTS[type];
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;
  const bool = (k: keyof Defaults & string, dflt: boolean): boolean => {
    if (!READ_KEYS[type].includes(k) && k !== "do_normalize") return dflt;
    if (!has(k)) return dflt;
    checkKind(k, raw[k], "bool");
    return raw[k] as boolean;
  };
  let size: unknown = has("size") ? raw.size : d.size;
  // Donut's feature extractor stored size as [width, height].
  if (type === "DonutImageProcessor" && Array.isArray(size)) size = [...size].reverse();
  const resample = has("resample") ? raw.resample : d.resample;
  if (!isInt(resample) || resample < 0 || resample > 5) {
    throw new ModelLoadError(`preprocessor_config.json resample must be 0 to 5, got ${resample}`);
  }
  const rescale = has("rescale_factor") ? raw.rescale_factor : d.rescale_factor;
  checkKind("rescale_factor", rescale, "number");
  const mean = has("image_mean") ? raw.image_mean : d.image_mean;
  const std = has("image_std") ? raw.image_std : d.image_std;
  checkKind("image_mean", mean, "floats");
  checkKind("image_std", std, "floats");
  checkPerChannel("image_mean", mean as number | number[]);
  checkPerChannel("image_std", std as number | number[]);
  if ((Array.isArray(std) ? std : [std]).some((v) => v === 0)) {
    throw new ModelLoadError(
      `preprocessor_config.json field image_std must not hold 0 (it divides), got ${
        JSON.stringify(std)
      }`,
    );
  }
  const usesCrop = type === "DeiTImageProcessor" || type === "BeitImageProcessor";
  const read = new Set([...READ_KEYS[type], ...ALWAYS_READ]);
  return {
    image_processor_type: type,
    do_resize: bool("do_resize", d.do_resize),
    size: getSizeDict(size),
    resample,
    do_center_crop: usesCrop ? bool("do_center_crop", d.do_center_crop) : false,
    crop_size: usesCrop
      ? getSizeDict(has("crop_size") ? raw.crop_size : d.crop_size, { paramName: "crop_size" })
      : null,
    do_rescale: bool("do_rescale", d.do_rescale),
    rescale_factor: rescale as number,
    do_normalize: bool("do_normalize", d.do_normalize),
    image_mean: mean as number | number[],
    image_std: std as number | number[],
    do_thumbnail: bool("do_thumbnail", d.do_thumbnail),
    do_align_long_axis: bool("do_align_long_axis", d.do_align_long_axis),
    do_pad: bool("do_pad", d.do_pad),
    ignored_keys: Object.keys(raw).filter((k) => !read.has(k)),
  };
}
