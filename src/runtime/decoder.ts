/**
 * What the model class needs of a decoder, whichever graphs run it: an export's decoder as shipped
 * (src/runtime/export_decoder.ts) or split so the cross-attention K/V are computed once per image
 * batch (src/runtime/invariant_decoder.ts). Both keep their self-attention cache in a
 * {@link RowCache} (src/runtime/row_cache.ts).
 * @module
 */
import type { DecoderStepper } from "../generation/decoder_stepper.ts";
import type { FloatTensor } from "../tensor.ts";
import type { CacheLayout } from "./cache_layout.ts";
import type { TransferStats } from "./gpu_cache.ts";
import type { GraphSession, RunOptions } from "./graph_session.ts";
import type { OrtTensor } from "./ort.ts";

/** Counters a test or benchmark reads (GPU<->CPU bytes: see gpu_cache.ts). */
export interface DecoderStats extends TransferStats {
  /** First runs over the prompts (one per image batch, not per beam). */
  firstRuns: number;
  /** Later steps. */
  stepRuns: number;
  /** Runs that computed cross-attention K/V (a seq2seq export's first runs, a split graph's invariant runs). */
  crossKvRuns: number;
  /** Bytes copied to widen per-image tensors (cross K/V or encoder states) to rows. */
  crossBytesCopied: number;
}

/** A decoder bound to encoder states: the generation contract plus a whole-sequence forward. */
export interface BoundDecoder extends DecoderStepper {
  /**
   * Logits at every position of whole sequences, no cache (training loss, parity checks).
   * @param inputIds one equal-length row per image
   * @returns logits [images, n, vocab]
   */
  forward(inputIds: readonly (readonly number[])[]): Promise<FloatTensor>;
  /** Frees the per-image state kept on the GPU (cross-attention K/V, uploaded encoder states). */
  dispose(): void;
}

/** A decoder's graphs, ready to bind to one batch of images' encoder states. */
export interface Decoder {
  /** Run counters. */
  readonly stats: DecoderStats;
  /** The self-attention cache's geometry and names. */
  readonly layout: CacheLayout;
  /** Size of the logits' last axis. */
  readonly vocabSize: number;
  /**
   * False when the graphs recompute cross-attention K/V at every step (a GPT2-style export run
   * as shipped).
   */
  readonly crossAttentionOnce: boolean;
  /** The graphs, for statistics and release. */
  readonly sessions: readonly GraphSession[];
  /**
   * Binds the decoder to one batch of images' encoder states.
   * @param encoderStates CPU tensor [images, seq, hidden]
   * @param options an AbortSignal every run of the stepper honours
   * @returns a stepper for the decoding loops
   */
  bind(encoderStates: OrtTensor, options?: RunOptions): BoundDecoder;
}
