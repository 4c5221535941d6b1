/**
 * One entry point from whatever the caller holds (path, URL, bytes, Blob, raw pixels) to the RGB
 * image transformers v4.27's `load_image` would produce. File access is injected
 * (`options.readFile`, e.g. a platform adapter's bounded `readFile`), never taken from the
 * runtime here; URLs go through `fetch`. Reads are bounded: a file or HTTP body larger than
 * `maxFileBytes` is refused (the adapter refuses FIFOs and devices), a stalled server times
 * out, and a `file:` URL naming another host is refused rather than read locally.
 * @module
 */

import { ImageDecodeError } from "../errors.ts";
import { DEFAULT_READ_LIMITS } from "../platform/read_limits.ts";
import { decodeImage, type DecodeImageOptions, DEFAULT_MAX_PIXELS } from "./decode.ts";
import type { RgbImage } from "./rgb_image.ts";

/** Raw pixels: gray, RGB or RGBA, interleaved, row-major (e.g. a canvas `ImageData`). */
export interface RawImageInput {
  /** The samples, `width * height * channels` of them. */
  data: Uint8Array | Uint8ClampedArray;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Samples per pixel; inferred from the data length when omitted. RGBA drops alpha, like PIL. */
  channels?: 1 | 3 | 4;
}

/** Anything {@link loadImage} accepts. */
export type ImageInput = string | URL | Uint8Array | ArrayBuffer | Blob | RawImageInput;

/** Options of {@link loadImage}. */
export interface LoadImageOptions extends DecodeImageOptions {
  /**
   * Reads a local file, given the byte limit; platform adapters provide it (`platform.readFile`
   * refuses FIFOs and devices and honours `maxBytes`). Required for file paths; undefined
   * means "no such file".
   */
  readFile?: (
    path: string,
    options: { maxBytes: number; limitName: string },
  ) => Promise<Uint8Array | undefined>;
  /** The fetch used for http(s) and data: URLs; default `globalThis.fetch`. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Aborts a pending fetch. */
  signal?: AbortSignal;
  /** Largest encoded image read from a file or URL. Default `DEFAULT_READ_LIMITS.image`. */
  maxFileBytes?: number;
  /** Time allowed for an image URL's response headers, and between body chunks. Default 30 s. */
  fetchTimeoutMs?: number;
}

const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

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

function maxBytesOf(options: LoadImageOptions): number {
  const max = options.maxFileBytes ?? DEFAULT_READ_LIMITS.image;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new RangeError(`maxFileBytes must be a whole number of bytes >= 0, got ${max}`);
  }
  return max;
}

async function fetchBytes(url: string, options: LoadImageOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") {
    throw new TypeError(`Cannot fetch image ${url}: no fetch available; pass options.fetch`);
  }
  const max = maxBytesOf(options);
  const ms = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const ctrl = new AbortController();
  const outer = options.signal;
  const onOuter = (): void => ctrl.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener("abort", onOuter, { once: true });
  const fail = (what: string, cause?: unknown): ImageDecodeError =>
    new ImageDecodeError(`Cannot fetch image ${url}: ${what}`, { cause });
  let late = false;
  let timer = setTimeout(() => (late = true, ctrl.abort()), ms);
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => (late = true, ctrl.abort()), ms);
  };
  try {
    let response: Response;
    try {
      response = await doFetch(url, { signal: ctrl.signal });
    } catch (e) {
      if (outer?.aborted) throw e;
      throw fail(
        late ? `no response within ${ms} ms` : e instanceof Error ? e.message : String(e),
        e,
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw fail(`HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (Number.isSafeInteger(length) && length > max && !response.headers.get("content-encoding")) {
      await response.body?.cancel().catch(() => {});
      throw fail(`it is ${length} bytes, over the limit of ${max} (option maxFileBytes)`);
    }
    if (response.body === null) return new Uint8Array(0);
    const reader = response.body.getReader();
    const parts: Uint8Array[] = [];
    let n = 0;
    try {
      for (;;) {
        rearm();
        const r = await reader.read();
        if (r.done) break;
        n += r.value.length;
        if (n > max) throw fail(`the body passes the limit of ${max} bytes (option maxFileBytes)`);
        parts.push(r.value);
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (outer?.aborted || e instanceof ImageDecodeError) throw e;
      throw fail(late ? `no data for ${ms} ms after ${n} bytes` : (e as Error).message, e);
    }
    const out = new Uint8Array(n);
    let off = 0;
    for (const p of parts) (out.set(p, off), off += p.length);
    return out;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuter);
  }
}

async function readPath(path: string, options: LoadImageOptions): Promise<Uint8Array> {
  if (!options.readFile) {
    throw new TypeError(
      `Cannot read image file ${path}: loadImage() needs options.readFile from a platform adapter (src/platform) to read files`,
    );
  }
  const maxBytes = maxBytesOf(options);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await options.readFile(path, {
      maxBytes,
      limitName: "the image limit (option maxFileBytes)",
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(
      why.includes(path) ? why : `Cannot read image file ${path}: ${why}`,
      { cause: e },
    );
  }
  if (bytes === undefined) {
    throw new ImageDecodeError(`Cannot read image file ${path}: no such file`);
  }
  if (bytes.length > maxBytes) {
    throw new ImageDecodeError(
      `Cannot read image file ${path}: ${bytes.length} bytes exceeds the limit of ${maxBytes} ` +
        `(option maxFileBytes)`,
    );
  }
  return bytes;
}

/**
 * The local path of a `file:` URL; a URL naming another host is refused (it would otherwise be
 * read as a local path, or on Windows reach a network share).
 * @param text the URL
 * @returns the path
 */
function fileUrlPath(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new TypeError(`Invalid file URL ${text}: ${(e as Error).message}`, { cause: e });
  }
  if (url.hostname !== "" && url.hostname.toLowerCase() !== "localhost") {
    throw new ImageDecodeError(
      `Cannot read image ${text}: a file: URL with a host ("${url.hostname}") names another ` +
        `machine; only local files (file:///path) are read`,
    );
  }
  return decodeURIComponent(url.pathname);
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
  if (/^file:/i.test(text)) return await readPath(fileUrlPath(text), options);
  return await readPath(text, options);
}

/**
 * Loads an image to RGB exactly as transformers' `load_image` (+ Pillow 9.4) would.
 * @param input a file path, http(s)/data/file URL, encoded bytes, a Blob, or raw pixels
 * @param options readFile / fetch adapters, pixel limit, EXIF orientation switch
 * @returns the RGB image; ImageDecodeError when it cannot be read, fetched or decoded
 * @example
 * ```ts ignore
 * const rgb = await loadImage("cat.jpg", { readFile: (p) => Deno.readFile(p) });
 * ```
 */
export async function loadImage(
  input: ImageInput,
  options: LoadImageOptions = {},
): Promise<RgbImage> {
  if (isRaw(input)) return rawToRgb(input, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  return await decodeImage(await bytesOf(input, options), options);
}
