/**
 * One entry point from whatever the caller holds (path, URL, bytes, Blob, raw pixels) to the RGB
 * image transformers v4.27's `load_image` would produce. File access is injected
 * (`options.readFile`), never taken from the runtime here; URLs go through `fetch`.
 * @module
 */

import { ImageDecodeError } from "../errors.ts";
import { decodeImage, type DecodeImageOptions, DEFAULT_MAX_PIXELS } from "./decode.ts";
import type { RgbImage } from "./rgb_image.ts";

/** Raw pixels: gray, RGB or RGBA, interleaved, row-major (e.g. a canvas `ImageData`). */
export interface RawImageInput {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Samples per pixel; inferred from the data length when omitted. RGBA drops alpha, like PIL. */
  channels?: 1 | 3 | 4;
}

/** Anything {@link loadImage} accepts. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | Blob | RawImageInput;

/** Options of {@link loadImage}. */
export interface LoadImageOptions extends DecodeImageOptions {
  /** Reads a local file; platform adapters provide it (required for file paths). */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The fetch used for http(s) and data: URLs; default `globalThis.fetch`. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Aborts a pending fetch. */
  signal?: AbortSignal;
}

function isRaw(input: unknown): input is RawImageInput {
  return typeof input === "object" && input !== null && "data" in input && "width" in input &&
    "height" in input;
}

/**
 * Converts raw gray / RGB / RGBA pixels to RGB as PIL's `convert("RGB")` does (alpha dropped).
 * @param raw the pixels
 * @param maxPixels refuse images with more pixels than this
 * @returns a new RGB image
 */
export function rawToRgb(raw: RawImageInput, maxPixels = DEFAULT_MAX_PIXELS): RgbImage {
  const { data, width, height } = raw;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new TypeError("raw image data must be a Uint8Array or Uint8ClampedArray");
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`raw image size ${width}x${height} must be positive integers`);
  }
  const n = width * height;
  if (n > maxPixels) {
    throw new ImageDecodeError(
      `Refusing raw image: ${width}x${height} = ${n} pixels exceeds the limit of ${maxPixels}`,
      { code: "IMAGE_TOO_LARGE" },
    );
  }
  const channels = raw.channels ?? data.length / n;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(
      `raw image of ${width}x${height} has ${data.length} bytes: expected 1, 3 or 4 channels`,
    );
  }
  if (data.length !== n * channels) {
    throw new RangeError(
      `raw image of ${width}x${height}x${channels} needs ${n * channels} bytes, got ${data.length}`,
    );
  }
  const out = new Uint8Array(n * 3);
  if (channels === 3) out.set(data);
  else {
    for (let i = 0, s = 0, d = 0; i < n; i++, s += channels) {
      if (channels === 1) {
        out[d++] = data[s];
        out[d++] = data[s];
        out[d++] = data[s];
      } else {
        out[d++] = data[s];
        out[d++] = data[s + 1];
        out[d++] = data[s + 2];
      }
    }
  }
  return { width, height, data: out };
}

async function fetchBytes(url: string, options: LoadImageOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") {
    throw new TypeError(`Cannot fetch image ${url}: no fetch available; pass options.fetch`);
  }
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw e;
    throw new ImageDecodeError(
      `Cannot fetch image ${url}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ImageDecodeError(
      `Cannot fetch image ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd(),
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function readPath(path: string, options: LoadImageOptions): Promise<Uint8Array> {
  if (!options.readFile) {
    throw new TypeError(
      `Cannot read image file ${path}: loadImage() needs options.readFile from a platform adapter (src/platform) to read files`,
    );
  }
  try {
    return await options.readFile(path);
  } catch (e) {
    throw new ImageDecodeError(
      `Cannot read image file ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

async function bytesOf(
  input: Exclude<ImageInput, RawImageInput>,
  options: LoadImageOptions,
): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    return new Uint8Array(await input.arrayBuffer());
  }
  const text = input instanceof URL ? input.href : input;
  if (typeof text !== "string") {
    throw new TypeError(
      "loadImage(): expected a path, URL, Uint8Array, ArrayBuffer, Blob or raw pixels",
    );
  }
  if (/^(https?|data):/i.test(text)) return await fetchBytes(text, options);
  if (/^file:/i.test(text)) {
    return await readPath(decodeURIComponent(new URL(text).pathname), options);
  }
  return await readPath(text, options);
}

/**
 * Loads an image to RGB exactly as transformers' `load_image` (+ Pillow 9.4) would.
 * @param input a file path, http(s)/data/file URL, encoded bytes, a Blob, or raw pixels
 * @param options readFile / fetch adapters, pixel limit, EXIF orientation switch
 * @returns the RGB image; ImageDecodeError when it cannot be read, fetched or decoded
 * @example
 * ```ts ignore
 * const rgb = await loadImage("cat.jpg", { readFile: Deno.readFile });
 * ```
 */
export async function loadImage(
  input: ImageInput,
  options: LoadImageOptions = {},
): Promise<RgbImage> {
  if (isRaw(input)) return rawToRgb(input, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  return await decodeImage(await bytesOf(input, options), options);
}
