/**
 * The option and result types of VisionEncoderDecoderModel: how a model is loaded, what its
 * counters report, and what its training forward pass takes and returns.
 * @module
 */
import type { BackendOptions } from "../runtime/backend.ts";
import type { DtypeOption } from "../runtime/onnx_files.ts";
import type { FloatTensor } from "../tensor.ts";

/** Options of {@link VisionEncoderDecoderModel.fromFiles}. */
export interface ModelLoadOptions extends BackendOptions {
  /**
   * Where the graphs come from: "onnx" (the export in onnx/), or a PyTorch checkpoint from which
   * vedge builds its own graphs ("safetensors" prefers model.safetensors, "pytorch"
   * pytorch_model.bin). Default: the export when the model has one, else the checkpoint.
   */
  from?: "onnx" | "safetensors" | "pytorch";
  /** Weight variant(s) of the ONNX files. */
  dtype?: DtypeOption;
  /** Decoder layout to prefer when an export has both. */
  decoder?: "merged" | "pair";
  /**
   * Compute cross-attention K/V once per image (default true). False runs a GPT2-style export as
   * shipped (K/V recomputed at every step for every beam): the baseline of the benchmarks.
   */
  crossAttentionOnce?: boolean;
  /** Images whose encoder output is kept (0 disables the cache). Default 8. */
  encoderCacheSize?: number;
}

/** Counters for tests and benchmarks. */
export interface ModelStats {
  /** Encoder graph runs. */
  encoderRuns: number;
  /** Images encoded (a run may encode several). */
  imagesEncoded: number;
  /** Images whose encoder output came from the cache. */
  encoderCacheHits: number;
  /** First decoder steps (once per image). */
  decoderFirstRuns: number;
  /** Later decoder steps. */
  decoderStepRuns: number;
  /** Bytes of cross-attention K/V copied between steps (0 when computed once). */
  crossBytesCopied: number;
  /** Runs that computed cross-attention K/V (once per image batch when computed once). */
  crossKvRuns: number;
  /**
   * False when the decoder recomputes cross-attention K/V at every step: a GPT2-style export
   * loaded with crossAttentionOnce false, or one whose step graph could not be split (it then
   * runs as shipped: correct, slower).
   */
  crossAttentionOnce: boolean;
  /**
   * Bytes copied between GPU and CPU by decoder runs (WebGPU: token ids and flags up, logits
   * down, the encoder states up once per image; 0 on WASM, where nothing crosses).
   */
  hostBytes: number;
  /**
   * Those bytes per decoder run, most recent last (the first run of an image includes its
   * encoder-state upload; at most 256 kept; concurrent generations interleave).
   */
  hostBytesPerStep: number[];
}

/** Inputs of {@link VisionEncoderDecoderModel.forward}. */
export interface ForwardInputs {
  /** [images, 3, H, W] (unused when encoderHiddenStates are given) */
  pixelValues?: FloatTensor;
  /** Target ids per image, padded with -100 (all rows the same length). */
  labels?: readonly (readonly number[])[];
  /**
   * Encoder output to use instead of running the encoder (Python's `encoder_outputs`),
   * [images, seq, hidden].
   */
  encoderHiddenStates?: FloatTensor;
  /** Decoder inputs; default: labels shifted right as Python's shift_tokens_right does. */
  decoderInputIds?: readonly (readonly number[])[];
}

/** Outputs of {@link VisionEncoderDecoderModel.forward}. */
export interface ForwardOutputs {
  /** Mean cross-entropy over label positions that are not -100 (null without labels). */
  loss: number | null;
  /** [images, n, vocab] */
  logits: FloatTensor;
}
