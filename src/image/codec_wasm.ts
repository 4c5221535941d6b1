/**
 * Where the codecs' WebAssembly comes from when nobody called `initCodecs`. Here (Deno,
 * browsers, any bundler that keeps `import.meta.url`): nowhere in particular, so each codec
 * fetches its own .wasm next to its module. vedge's builds replace this file: the Node build
 * reads the .wasm files beside the bundle (Node's fetch has no `file:`), the workerd build
 * imports them as wasm modules (workerd cannot compile wasm from bytes).
 * @module
 */

/** The codecs vedge decodes with. */
export type CodecName = "jpeg" | "png";

/**
 * The compiled module for a codec, or undefined to let the codec locate its own .wasm.
 * @param _codec which codec
 * @returns undefined in this default
 */
export function codecWasm(_codec: CodecName): Promise<WebAssembly.Module | undefined> {
  return Promise.resolve(undefined);
}
