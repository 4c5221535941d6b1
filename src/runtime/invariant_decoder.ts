/**
 * A decoder as two graphs: a loop-invariant graph run once per image batch (the cross-attention
 * keys/values) and a step graph fed with its outputs at every step, broadcast over each image's
 * rows. Two sources make this shape:
 * - vedge's own graphs (src/model): `cross_kv` (`present.{i}.encoder.*`) feeding `decoder_step`
 *   (`past_key_values.{i}.encoder.*`), see {@link InvariantDecoder.fromGraphs};
 * - a GPT2-style export, whose decoder recomputes the K/V at every step for every beam, split
 *   as below, see {@link InvariantDecoder.load}.
 *
 * The with-past graph (`decoder_with_past_model.onnx`, or the with-past branch lifted out of
 * `decoder_model_merged.onnx`) is partitioned (src/graph/partition.ts): every node that depends
 * only on `encoder_hidden_states` and initializers forms the `invariant` graph, run once per
 * image batch; its frontier tensors (per layer K transposed, V, and the encoder mask) feed the
 * `step` graph, rewritten (src/graph/frontier_batching.ts) so they broadcast over each image's
 * rows instead of being tiled. The first step is the same step graph with an empty past.
 * @module
 */
import type { DecoderCache, StepOutput } from "../generation/decoder_stepper.ts";
import { ModelLoadError } from "../errors.ts";
import { broadcastFrontierOverImages } from "../graph/frontier_batching.ts";
import { liftIfBranch } from "../graph/lift_if_branch.ts";
import { decodeModel, encodeModel, type OnnxModel } from "../graph/onnx_io.ts";
import { partitionLoopInvariant } from "../graph/partition.ts";
import type { Backend } from "./backend.ts";
import { type CacheLayout, pastNames, readCacheLayout } from "./cache_layout.ts";
import type { BoundDecoder, Decoder, DecoderStats } from "./decoder.ts";
import { GraphSession, type RunOptions } from "./graph_session.ts";
import type { OrtTensor } from "./ort.ts";
import {
  disposeAll,
  disposeExcept,
  hostBytes,
  logStepBytes,
  readLogits,
  rowTensorsFor,
} from "./gpu_cache.ts";
import { checkPrompts, releaseRows, RowCache, type RowTensors, selectRows } from "./row_cache.ts";
import { emptyTensor, idsTensor } from "./tensors.ts";
import type { FloatTensor } from "../tensor.ts";

/** The split decoder, ready to bind to encoder states. */
export class InvariantDecoder implements Decoder {
  /** Run counters (`crossKvRuns`: runs of the invariant graph, one per image batch). */
  readonly stats: DecoderStats = {
    firstRuns: 0,
    stepRuns: 0,
    crossKvRuns: 0,
    crossBytesCopied: 0,
    hostBytes: 0,
    hostBytesPerStep: [],
  };
  readonly layout: CacheLayout;
  /** Always true: the invariant graph computes the cross-attention K/V once per image batch. */
  readonly crossAttentionOnce = true;
  readonly vocabSize: number;
  readonly invariant: GraphSession;
  readonly step: GraphSession;
  /** Invariant output -> step input it feeds. */
  readonly frontier: readonly { from: string; to: string }[];
  readonly maxPositions: number;

  private constructor(
    invariant: GraphSession,
    step: GraphSession,
    frontier: readonly { from: string; to: string }[],
    maxPositions: number,
  ) {
    this.invariant = invariant;
    this.step = step;
    this.frontier = frontier;
    this.maxPositions = maxPositions;
    this.layout = readCacheLayout(step);
    const vocab = step.outputs().find((o) => o.name === "logits")?.shape[2];
    if (typeof vocab !== "number") {
      throw new ModelLoadError(`${step.name}: no logits output with a fixed vocabulary axis`);
    }
    this.vocabSize = vocab;
  }

  /**
   * Splits and loads a with-past decoder graph.
   * @param backend the backend
   * @param bytes the with-past graph, or the merged graph when `merged`
   * @param name file and source, for messages
   * @param merged whether `bytes` is a merged decoder (its with-past branch is lifted first)
   * @param maxPositions the decoder's position limit
   * @returns the split decoder
   */
  static async load(
    backend: Backend,
    bytes: Uint8Array,
    name: string,
    merged: boolean,
    maxPositions: number,
  ): Promise<InvariantDecoder> {
    let model: OnnxModel = decodeModel(bytes, name);
    if (merged) model = liftIfBranch(model, true);
    const part = partitionLoopInvariant(model, ["encoder_hidden_states"]);
    const frontier = part.frontier.map((f) => f.name);
    const step = broadcastFrontierOverImages(part.step, frontier);
    const [inv, st] = await Promise.all([
      GraphSession.create(backend, encodeModel(part.invariant), `${name} (cross-attention K/V)`, {
        outputsOnGpu: true,
      }),
      GraphSession.create(backend, encodeModel(step), `${name} (step)`, { outputsOnGpu: true }),
    ]);
    return new InvariantDecoder(inv, st, frontier.map((f) => ({ from: f, to: f })), maxPositions);
  }

  /**
   * Loads vedge's own decoder graphs: `cross_kv` (encoder_hidden_states -> present.{i}.encoder.*)
   * and `decoder_step` (past_key_values.{i}.encoder.* broadcast over each image's rows).
   * @param backend the backend
   * @param crossKv the cross_kv graph
   * @param step the decoder_step graph
   * @param name model name, for messages
   * @param maxPositions the decoder's position limit
   * @returns the decoder
   */
  static async fromGraphs(
    backend: Backend,
    crossKv: Uint8Array,
    step: Uint8Array,
    name: string,
    maxPositions: number,
  ): Promise<InvariantDecoder> {
    const [inv, st] = await Promise.all([
      GraphSession.create(backend, crossKv, `${name} (cross_kv)`, { outputsOnGpu: true }),
      GraphSession.create(backend, step, `${name} (decoder_step)`, { outputsOnGpu: true }),
    ]);
    const frontier = inv.outputNames.map((from) => ({
      from,
      to: from.replace(/^present\./, "past_key_values."),
    }));
    return new InvariantDecoder(inv, st, frontier, maxPositions);
  }

  /** The graphs, for statistics and release. */
  get sessions(): GraphSession[] {
    return [this.invariant, this.step];
  }

  /**
   * Binds the decoder to one batch of images' encoder states.
   * @param encoderStates CPU tensor [images, seq, hidden]
   * @param options an AbortSignal every run of the stepper honours
   * @returns a stepper for the decoding loops
   */
  bind(encoderStates: OrtTensor, options: RunOptions = {}): BoundDecoder {
    return new InvariantStepper(this, encoderStates, options);
  }
}

/** What one run of the step graph gives back. */
interface StepRun {
  /** All logits, in CPU memory, and their dims. */
  all: Float32Array;
  dims: number[];
  /** The last position's logits per row. */
  last: Float32Array;
  /** The present K/V (on the GPU under WebGPU). */
  present: OrtTensor[];
  /** Bytes copied between GPU and CPU by the run (and uploads waiting to be counted). */
  bytes: number;
}

class InvariantStepper implements BoundDecoder {
  readonly vocabSize: number;
  readonly images: number;
  readonly maxPositions: number;
  readonly #dec: InvariantDecoder;
  readonly #enc: OrtTensor;
  #frontier: Record<string, OrtTensor> | null = null;
  /** Bytes uploaded (encoder states, row indices) not yet counted in a step. */
  #pendingBytes = 0;
  readonly #options: RunOptions;
  readonly #rowTensors: RowTensors;

  constructor(dec: InvariantDecoder, enc: OrtTensor, options: RunOptions) {
    this.#dec = dec;
    this.#rowTensors = rowTensorsFor(dec.step.backend, (n) => (this.#pendingBytes += n));
    this.#enc = enc;
    this.#options = options;
    this.images = enc.dims[0];
    this.vocabSize = dec.vocabSize;
    this.maxPositions = dec.maxPositions;
  }

  /**
   * One run of the step graph.
   * @param ids the new tokens, one row per cache row
   * @param past the self-attention K/V so far
   * @param rowImage each row's image
   * @returns all logits (in CPU memory), the last position's, the present K/V and the bytes
   *   copied between GPU and CPU
   */
  async #run(
    ids: readonly (readonly number[])[],
    past: readonly OrtTensor[],
    rowImage: Int32Array,
  ): Promise<StepRun> {
    const rows = ids.length;
    const per = rows / this.images;
    if (!Number.isInteger(per) || rowImage.some((img, r) => img !== Math.floor(r / per))) {
      throw new Error(`internal error: rows are not grouped by image (${rowImage.join(",")})`);
    }
    const ort = this.#dec.step.backend.ort;
    const backend = this.#dec.step.backend;
    if (!this.#frontier) {
      const invFeeds = { encoder_hidden_states: this.#enc };
      const out = await this.#dec.invariant.run(invFeeds, this.#options);
      this.#frontier = {};
      for (const { from, to } of this.#dec.frontier) this.#frontier[to] = out[from];
      disposeExcept(out, this.#dec.frontier.map((f) => f.from));
      this.#pendingBytes += hostBytes(backend, invFeeds);
      this.#dec.stats.crossKvRuns++;
    }
    const feeds: Record<string, OrtTensor> = { input_ids: idsTensor(ort, ids), ...this.#frontier };
    pastNames(this.#dec.layout, "past_key_values").forEach((name, i) => (feeds[name] = past[i]));
    const out = await this.#dec.step.run(feeds, this.#options);
    const keep = pastNames(this.#dec.layout, "present");
    const dims = [...out.logits.dims];
    const logits = await readLogits(out.logits);
    disposeExcept(out, keep);
    const bytes = this.#pendingBytes + hostBytes(backend, feeds) + logits.bytes;
    this.#pendingBytes = 0;
    return { all: logits.all, dims, last: logits.last, present: keep.map((n) => out[n]), bytes };
  }

  async forward(inputIds: readonly (readonly number[])[]): Promise<FloatTensor> {
    const { all, dims, present } = await this.#begin(inputIds);
    disposeAll(present);
    return { data: all, dims };
  }

  async start(inputIds: readonly (readonly number[])[]): Promise<StepOutput> {
    const { last, present, bytes } = await this.#begin(inputIds);
    this.#dec.stats.firstRuns++;
    logStepBytes(this.#dec.stats, bytes);
    return {
      logits: last,
      cache: RowCache.first(this.#rowTensors, present, this.images, inputIds[0].length),
    };
  }

  /** The step graph over whole prompts with an empty past, one row per image. */
  async #begin(
    inputIds: readonly (readonly number[])[],
  ): Promise<StepRun> {
    checkPrompts(inputIds, this.images, this.maxPositions);
    const { heads, headDim, layers } = this.#dec.layout;
    const ort = this.#dec.step.backend.ort;
    const empty = emptyTensor(ort, [this.images, heads, 0, headDim]);
    const past = Array.from({ length: 2 * layers }, () => empty);
    const rowImage = Int32Array.from({ length: this.images }, (_, i) => i);
    return await this.#run(inputIds, past, rowImage);
  }

  async step(cache: DecoderCache, tokens: ArrayLike<number>): Promise<StepOutput> {
    const c = RowCache.forStep(cache, tokens, this.maxPositions);
    const ids = Array.from(tokens, (t) => [t]);
    const { last, present, bytes } = await this.#run(ids, await c.take(), c.rowImage);
    this.#dec.stats.stepRuns++;
    logStepBytes(this.#dec.stats, bytes);
    return { logits: last, cache: c.next(present, 1) };
  }

  dispose(): void {
    if (this.#frontier) disposeAll(Object.values(this.#frontier));
    this.#frontier = null;
  }

  /** Row selection of the self-attention cache (cross-attention state is per image). */
  readonly select: (cache: DecoderCache, rows: ArrayLike<number>) => DecoderCache = selectRows;
  /** Frees the cache's tensors. */
  readonly release: (cache: DecoderCache) => void = releaseRows;
}
