/**
 * The Node build's `src/image/codec_wasm.ts`: the codecs' .wasm files lie beside the bundle
 * (copied there by scripts/build), read with node:fs and compiled once, since Node's fetch
 * cannot read `file:` URLs.
 * @module
 */
import type { CodecName } from "../../../src/image/codec_wasm.ts";

export type { CodecName };

const FILES: Record<CodecName, string> = {
  jpeg: "mozjpeg_dec.wasm",
  png: "squoosh_png_bg.wasm",
};

/**
 * Compiles a codec's .wasm from beside this bundle.
 * @param codec which codec
 * @returns the compiled module
 */
export async function codecWasm(codec: CodecName): Promise<WebAssembly.Module | undefined> {
  const { readFile } = await import("node:fs/promises");
  const bytes = await readFile(new URL(`./${FILES[codec]}`, import.meta.url));
  return WebAssembly.compile(new Uint8Array(bytes));
}
