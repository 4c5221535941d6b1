/**
 * The one message protocol between the main thread and vedge's workers (encoder_worker.ts,
 * decoder_worker.ts), in the manner of onnxruntime-web's proxy-messages.ts but matched by
 * request id, never by order. Every request carries an id; the worker answers it exactly once,
 * with its result or an error, and may send `progress` messages for it before that (the tokens
 * of each greedy step, for a streamer). `cancel` names a request in flight: the worker aborts it
 * (its AbortSignal fires inside the decoding loop, which stops within one step) and answers it
 * with an AbortError.
 *
 * A worker says `listening` (id 0) once it listens: a message posted to a module worker before
 * its module has run can be lost (Deno drops it when the worker's imports take long), so the
 * first request waits for it.
 *
 * Tensors cross as {data, dims} whose `data.buffer` is transferred, never cloned:
 * pixel values to the encoder worker, encoder states back, encoder states to the decoder worker
 * (once per image; the cross-attention K/V are computed there and never leave). Errors cross as
 * {name, code, message} and are revived as the same class on the other side.
 * @module
 */
import {
  AbortError,
  BackendUnavailableError,
  ImageDecodeError,
  ModelLoadError,
  UnsupportedModelError,
  VedgeError,
} from "../src/errors.ts";
import type { DecoderShape } from "../src/config/generation_limits.ts";
import type { GenerationConfig, GenerationOptions } from "../src/config/generation_config.ts";
import type { BackendReportEntry } from "../src/runtime/backend.ts";
import type { DecoderPartStats } from "../src/model/model_parts.ts";
import type { GenerateOutput } from "../src/generation/generate_output.ts";
import type { ModelLoadOptions } from "../src/model/model_options.ts";
import type { ResolveModelFilesOptions } from "../src/hub/resolve_model_files.ts";

/** A float32 tensor whose buffer is transferred. */
export interface WireTensor {
  /** The values; their buffer is transferred. */
  data: Float32Array;
  /** The shape. */
  dims: number[];
}

/** An error as it crosses: enough to rebuild the class callers test with `instanceof`. */
export interface WireError {
  /** The class name (TypeError, ModelLoadError, ...). */
  name: string;
  /** The VedgeError code, else null. */
  code: string | null;
  /** The message. */
  message: string;
}

/** Which half of the model a worker holds. */
export type WorkerRole = "encoder" | "decoder";

/** The cloneable load options a worker gets (no functions, no platform, no signal). */
export type WorkerModelOptions =
  & Omit<ModelLoadOptions, never>
  & Omit<ResolveModelFilesOptions, "onProgress" | "fetch" | "platform" | "signal">;

/** Messages to a worker. */
export type WorkerRequest =
  | { type: "load"; id: number; role: WorkerRole; source: string; options: WorkerModelOptions }
  | { type: "encode"; id: number; pixels: WireTensor }
  | {
    type: "decode";
    id: number;
    states: WireTensor;
    generation: GenerationOptions;
    /** Send each step's tokens as progress. */
    stream: boolean;
  }
  | { type: "cancel"; id: number }
  | { type: "dispose"; id: number };

/** A request before the client gives it its id. */
export type WorkerRequestBody = WorkerRequest extends infer R
  ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

/** What a loaded worker reports. */
export interface LoadedInfo {
  /** The backend the worker chose. */
  device: "webgpu" | "wasm";
  /** Why each candidate backend was taken or rejected. */
  report: BackendReportEntry[];
  /** The model's generation defaults (decoder worker only). */
  generationConfig: GenerationConfig | null;
  /** The decoder's shape, for the memory estimate of options (decoder worker only). */
  decoderShape: DecoderShape | null;
}

/** Messages from a worker. */
export type WorkerResponse =
  | { type: "listening"; id: 0 }
  | { type: "loaded"; id: number; info: LoadedInfo }
  | { type: "encoded"; id: number; states: WireTensor }
  | { type: "decoded"; id: number; output: GenerateOutput; stats: DecoderPartStats }
  | { type: "disposed"; id: number }
  | { type: "progress"; id: number; tokens: number[] }
  | { type: "error"; id: number; error: WireError };

/**
 * Flattens an error for the wire.
 * @param e anything thrown
 * @returns name, code (VedgeError family) and message
 */
export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, code: typeof code === "string" ? code : null, message: e.message };
  }
  return { name: "Error", code: null, message: String(e) };
}

/**
 * The buffers of a message that should move rather than be copied.
 * @param message a request or response
 * @returns the tensor buffers it carries
 */
export function transfersOf(message: WorkerRequest | WorkerResponse): ArrayBuffer[] {
  const t = "pixels" in message ? message.pixels : "states" in message ? message.states : undefined;
  return t ? [t.data.buffer as ArrayBuffer] : [];
}

/**
 * Bytes a message moves by transfer (what the tests count).
 * @param message a request or response
 * @returns the transferred byte count
 */
export function transferredBytes(message: WorkerRequest | WorkerResponse): number {
  return transfersOf(message).reduce((n, b) => n + b.byteLength, 0);
}

/**
 * Rebuilds an error that crossed: the same class for TypeError, RangeError and the VedgeError
 * family (same `code`), else a plain Error with the original name.
 * @param w the wire form
 * @returns the error to throw
 */
export function fromWireError(w: WireError): Error {
  switch (w.name) {
    case "TypeError":
      return new TypeError(w.message);
    case "RangeError":
      return new RangeError(w.message);
    case "AbortError":
      return new AbortError(w.message);
    case "ModelLoadError":
      return new ModelLoadError(w.message);
    case "UnsupportedModelError":
      return new UnsupportedModelError(w.message);
    case "BackendUnavailableError":
      return new BackendUnavailableError(w.message, {});
    case "ImageDecodeError":
      return new ImageDecodeError(w.message, { code: w.code ?? undefined });
  }
  const e = w.code === null ? new Error(w.message) : new VedgeError(w.code, w.message);
  e.name = w.name;
  return e;
}

/**
 * A tensor whose buffer holds exactly its data, so transferring it moves nothing else (an ORT
 * output may be a view into a larger buffer; that one is copied once).
 * @param data the values
 * @param dims the shape
 * @returns the wire tensor
 */
export function wireTensor(data: Float32Array, dims: readonly number[]): WireTensor {
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? data
    : data.slice();
  return { data: own, dims: [...dims] };
}
