/**
 * The workerd build's `src/image/codec_wasm.ts`: workerd cannot compile wasm from bytes, so the
 * codecs' .wasm files are imported as wasm modules (left external by the bundler and listed as
 * `wasm` modules in the worker's configuration, or uploaded beside it by wrangler).
 * @module
 */
// @ts-ignore: a wasm module import, resolved by workerd (the bundler keeps it external)
import jpegWasm from "./mozjpeg_dec.wasm";
// @ts-ignore: as above
import pngWasm from "./squoosh_png_bg.wasm";
import type { CodecName } from "../../../src/image/codec_wasm.ts";

export type { CodecName };

/**
 * The imported module of a codec.
 * @param codec which codec
 * @returns the compiled module
 */
export function codecWasm(codec: CodecName): Promise<WebAssembly.Module | undefined> {
  return Promise.resolve((codec === "jpeg" ? jpegWasm : pngWasm) as WebAssembly.Module);
}
