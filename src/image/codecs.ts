/**
 * The WebAssembly codecs (@jsquash/jpeg = MozJPEG, @jsquash/png = Rust `png`), initialised once:
 * lazily (from `codecWasm()`: the codec's own .wasm next to its module in Deno and browsers, the
 * files beside the bundle in vedge's Node and workerd builds), or explicitly with
 * `initCodecs({jpeg, png})` (a bundle of your own for a host that cannot compile wasm from bytes
 * at run time, such as Cloudflare workerd: import the .wasm files as modules and pass them here).
 * @module
 */

import { codecWasm } from "./codec_wasm.ts";
import decodeJpegWasm, { init as initJpegWasm } from "npm:@jsquash/jpeg@1.6.0/decode.js";
import { decode as decodePngWasm, init as initPngWasm } from "npm:@jsquash/png@3.1.1/decode.js";

/** Precompiled codec modules for runtimes that cannot compile wasm at run time. */
export interface CodecModules {
  /** `@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm` as a compiled module. */
  jpeg?: WebAssembly.Module;
  /** `@jsquash/png/codec/pkg/squoosh_png_bg.wasm` as a compiled module. */
  png?: WebAssembly.Module;
}

/** Decoded pixels as the codecs return them: RGBA, 8 or 16 bits per sample. */
export interface RgbaPixels {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

interface CodecState {
  jpeg?: Promise<void>;
  png?: Promise<unknown>;
  /** What MozJPEG printed during the current decode (warnings such as premature end). */
  jpegMessages: string[];
}

// One instance per codec per realm: compiling the wasm again per image would cost milliseconds.
const state: CodecState = { jpegMessages: [] };

/** The JS accepts (module, options); its .d.ts declares only the options form. */
type JpegInit = (module?: WebAssembly.Module, options?: Record<string, unknown>) => Promise<void>;
const initJpeg = initJpegWasm as unknown as JpegInit;

function jpegOptions(): Record<string, unknown> {
  const collect = (s: string): void => {
    state.jpegMessages.push(String(s));
  };
  return { print: collect, printErr: collect };
}

/**
 * Initialises the codecs with precompiled modules (required in Cloudflare workerd). Codecs
 * not given are initialised lazily on first use; a codec already initialised is left as is.
 * @param modules compiled `WebAssembly.Module`s for the JPEG and/or PNG codec
 * @returns a promise that settles when the given codecs are ready
 */
export async function initCodecs(modules: CodecModules = {}): Promise<void> {
  if (modules.jpeg !== undefined && !(modules.jpeg instanceof WebAssembly.Module)) {
    throw new TypeError("initCodecs(): jpeg must be a WebAssembly.Module");
  }
  if (modules.png !== undefined && !(modules.png instanceof WebAssembly.Module)) {
    throw new TypeError("initCodecs(): png must be a WebAssembly.Module");
  }
  if (modules.jpeg && !state.jpeg) state.jpeg = initJpeg(modules.jpeg, jpegOptions());
  if (modules.png && !state.png) state.png = initPngWasm(modules.png);
  await Promise.all([state.jpeg, state.png]);
}

/**
 * Decodes JPEG bytes with MozJPEG (no orientation applied).
 * @param bytes a complete JPEG file
 * @returns RGBA pixels and any warnings MozJPEG printed while decoding
 */
export async function decodeJpegRgba(
  bytes: Uint8Array,
): Promise<{ pixels: RgbaPixels; messages: string[] }> {
  state.jpeg ??= codecWasm("jpeg").then((m) => initJpeg(m, jpegOptions()));
  await state.jpeg;
  state.jpegMessages = [];
  const pixels = await decodeJpegWasm(toArrayBuffer(bytes), { preserveOrientation: false });
  return { pixels, messages: state.jpegMessages };
}

/**
 * Decodes PNG bytes to RGBA: 8-bit (16-bit samples keep their high byte) or full 16-bit.
 * @param bytes a complete PNG file
 * @param bitDepth 8 or 16 bits per output sample
 * @returns RGBA pixels
 */
export async function decodePngRgba(bytes: Uint8Array, bitDepth: 8 | 16): Promise<RgbaPixels> {
  state.png ??= codecWasm("png").then((m) => initPngWasm(m));
  await state.png;
  const buffer = toArrayBuffer(bytes);
  return bitDepth === 16
    ? await decodePngWasm(buffer, { bitDepth: 16 })
    : await decodePngWasm(buffer);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}
