/**
 * The decoder of an Optimum / transformers.js ONNX export, driven step by step.
 *
 * Files: `onnx/decoder_model_merged.onnx` (one graph, `use_cache_branch` picks the branch) or the
 * pair `onnx/decoder_model.onnx` (first step) + `onnx/decoder_with_past_model.onnx`.
 * Cache names, read from the graph's inputs:
 * - seq2seq (BART, MBart, TrOCR, BERT-style): `past_key_values.{i}.decoder|encoder.key|value` in,
 *   `present.{i}.decoder|encoder.key|value` out. The cross-attention K/V (`present.{i}.encoder.*`)
 *   come from the first run, once per image, and are fed back unchanged at every step.
 * - GPT2: `past_key_values.{i}.key|value` in, `present.{i}.key|value` out, plus
 *   `encoder_hidden_states`, from which this export recomputes cross-attention K/V at every step.
 * Self-attention K/V follow the rows the decoding loop selects; per-image inputs are widened to the
 * rows once per row layout, never per step.
 * @module
 */
import type { DecoderCache, StepOutput } from "../generation/decoder_stepper.ts";
import { ModelLoadError } from "../errors.ts";
import { type CacheLayout, crossNames, pastNames, readCacheLayout } from "./cache_layout.ts";
import type { BoundDecoder, Decoder, DecoderStats } from "./decoder.ts";
import type { Backend } from "./backend.ts";
import {
  disposeAll,
  disposeExcept,
  hostBytes,
  logStepBytes,
  onDevice,
  readLogits,
  rowTensorsFor,
  uploadOnce,
  widenOnDevice,
} from "./gpu_cache.ts";
import type { GraphSession, RunOptions } from "./graph_session.ts";
import type { OrtTensor } from "./ort.ts";
import { checkPrompts, releaseRows, RowCache, type RowTensors, selectRows } from "./row_cache.ts";
import type { FloatTensor } from "../tensor.ts";
import { cpuData, emptyTensor, gatherRows, idsTensor } from "./tensors.ts";

/** The graphs and facts an export's stepper runs with. */
interface ExportGraphs {
  readonly first: GraphSession;
  readonly withPast: GraphSession;
  readonly merged: boolean;
  readonly maxPositions: number;
  readonly stepReadsEncoderStates: boolean;
  readonly layout: CacheLayout;
  readonly vocabSize: number;
  readonly stats: DecoderStats;
}

/** An export's decoder graphs, ready to bind to encoder states. */
export class ExportDecoder implements Decoder {
  /** Run counters. */
  readonly stats: DecoderStats = {
    firstRuns: 0,
    stepRuns: 0,
    crossKvRuns: 0,
    crossBytesCopied: 0,
    hostBytes: 0,
    hostBytesPerStep: [],
  };
  readonly layout: CacheLayout;
  /** Size of the logits' last axis. */
  readonly vocabSize: number;
  /** Seq2seq exports return the cross-attention K/V from their first run; GPT2 ones recompute them. */
  readonly crossAttentionOnce: boolean;
  readonly #graphs: ExportGraphs;

  /**
   * @param first the first-step graph (or the merged graph)
   * @param withPast the with-past graph (or the same merged graph)
   * @param maxPositions the decoder's position limit
   * @param stepReadsEncoderStates whether the with-past step reads `encoder_hidden_states`
   *   (default: whether the with-past graph lists it; for a merged graph, which lists it for its
   *   other branch too, assume it does unless told)
   */
  constructor(
    first: GraphSession,
    withPast: GraphSession,
    maxPositions: number,
    stepReadsEncoderStates?: boolean,
  ) {
    const merged = first === withPast;
    this.layout = readCacheLayout(withPast);
    this.crossAttentionOnce = this.layout.naming === "seq2seq";
    const logits = withPast.outputs().find((o) => o.name === "logits");
    const vocab = logits?.shape[2];
    if (typeof vocab !== "number") {
      throw new ModelLoadError(
        `Cannot use ${withPast.name}: no logits output with a fixed vocabulary axis`,
      );
    }
    this.vocabSize = vocab;
    if (merged && !first.inputNames.includes("use_cache_branch")) {
      throw new ModelLoadError(`${first.name} has no use_cache_branch input: not a merged decoder`);
    }
    this.#graphs = {
      first,
      withPast,
      merged,
      maxPositions,
      stepReadsEncoderStates: stepReadsEncoderStates ??
        withPast.inputNames.includes("encoder_hidden_states"),
      layout: this.layout,
      vocabSize: vocab,
      stats: this.stats,
    };
  }

  /** The graphs, for statistics and release. */
  get sessions(): GraphSession[] {
    const { first, withPast, merged } = this.#graphs;
    return merged ? [first] : [first, withPast];
  }

  /**
   * Binds the decoder to one batch of images' encoder states.
   * @param encoderStates CPU tensor [images, seq, hidden]
   * @param options an AbortSignal every run of the stepper honours
   * @returns a stepper for the decoding loops
   */
  bind(encoderStates: OrtTensor, options: RunOptions = {}): BoundDecoder {
    return new ExportStepper(this.#graphs, encoderStates, options);
  }
}

class ExportStepper implements BoundDecoder {
  readonly vocabSize: number;
  readonly images: number;
  readonly maxPositions: number;
  readonly #g: ExportGraphs;
  readonly #enc: OrtTensor;
  readonly #rowTensors: RowTensors;
  #cross: OrtTensor[] | null = null;
  #widened: {
    key: string;
    enc: OrtTensor | null;
    cross: OrtTensor[] | null;
    /** Tensors made by the widening (freed when the layout changes). */
    owned: OrtTensor[];
  } | null = null;
  /** Bytes uploaded (encoder states, row indices) not yet counted in a step. */
  #pendingBytes = 0;
  /** The encoder states on the GPU (WebGPU only), uploaded once per bind. */
  #encOnDevice: Promise<OrtTensor> | null = null;
  readonly #run: RunOptions;

  constructor(graphs: ExportGraphs, enc: OrtTensor, run: RunOptions) {
    this.#g = graphs;
    this.#enc = enc;
    this.#run = run;
    this.#rowTensors = rowTensorsFor(graphs.first.backend, (n) => (this.#pendingBytes += n));
    this.images = enc.dims[0];
    this.maxPositions = graphs.maxPositions;
    this.vocabSize = graphs.vocabSize;
  }

  #ort() {
    return this.#g.first.backend.ort;
  }

  #backend(): Backend {
    return this.#g.first.backend;
  }

  /** The encoder states where the graphs read them: uploaded once on WebGPU. */
  #encoderStates(): Promise<OrtTensor> {
    if (!onDevice(this.#backend())) return Promise.resolve(this.#enc);
    this.#encOnDevice ??= uploadOnce(this.#backend(), this.#enc).then((u) => {
      this.#pendingBytes += u.bytes;
      return u.tensor;
    });
    this.#encOnDevice.catch(() => (this.#encOnDevice = null));
    return this.#encOnDevice;
  }

  /**
   * Per-image tensors widened to the rows' layout, once per layout; on WebGPU by a Gather on
   * the GPU (gpu_cache.ts).
   */
  async #forRows(
    rowImage: Int32Array,
  ): Promise<{ enc: OrtTensor | null; cross: OrtTensor[] | null }> {
    const key = rowImage.join(",");
    if (this.#widened?.key === key) return this.#widened;
    if (this.#widened) disposeAll(this.#widened.owned);
    this.#widened = null;
    const identity = rowImage.length === this.images && rowImage.every((v, i) => v === i);
    const widen = (t: OrtTensor): OrtTensor => {
      if (identity) return t;
      const out = gatherRows(this.#ort(), t, rowImage);
      this.#g.stats.crossBytesCopied += cpuData(out).byteLength;
      return out;
    };
    // Seq2seq with-past steps read the cached encoder K/V; most never read the encoder states,
    // which a merged graph still lists (for its other branch): feed those per image, unwidened.
    // Some steps do read them: Optimum's BERT/RoBERTa exports build the cross-attention mask
    // from their shape (`ones(encoder_hidden_states.shape[:2])`), which must then match the rows
    // (images x beams) or the mask's Add fails to broadcast.
    const { withPast, stepReadsEncoderStates, layout } = this.#g;
    const needsEnc = withPast.inputNames.includes("encoder_hidden_states");
    const perImage = layout.naming === "seq2seq" && !stepReadsEncoderStates;
    const enc = needsEnc ? await this.#encoderStates() : null;
    if (onDevice(this.#backend())) {
      const w = await widenOnDevice(this.#backend(), {
        enc: enc && !perImage ? enc : null,
        cross: this.#cross ?? [],
        rowImage,
      });
      this.#pendingBytes += w.bytes;
      if (!identity) this.#g.stats.crossBytesCopied += w.copied;
      this.#widened = { key, enc: w.enc ?? enc, cross: w.cross, owned: w.owned };
      return this.#widened;
    }
    this.#widened = {
      key,
      enc: enc ? (perImage ? enc : widen(enc)) : null,
      cross: this.#cross ? this.#cross.map(widen) : null,
      owned: [],
    };
    return this.#widened;
  }

  #common(session: GraphSession, rows: number, feeds: Record<string, OrtTensor>): void {
    const ort = this.#ort();
    if (session.inputNames.includes("encoder_attention_mask")) {
      const s = this.#enc.dims[1];
      feeds.encoder_attention_mask = new ort.Tensor(
        "int64",
        new BigInt64Array(rows * s).fill(1n),
        [rows, s],
      );
    }
  }

  async start(inputIds: readonly (readonly number[])[]): Promise<StepOutput> {
    const { out, bytes } = await this.#first(inputIds);
    const { layout, first } = this.#g;
    const keep = pastNames(layout, "present");
    if (layout.naming === "seq2seq") {
      const names = crossNames(layout, "present");
      this.#cross = names.map((name) => {
        const t = out[name];
        if (!t) throw new ModelLoadError(`${first.name} did not return ${name}`);
        return t;
      });
      keep.push(...names);
    }
    const logits = await readLogits(out.logits);
    logStepBytes(this.#g.stats, bytes + logits.bytes);
    disposeExcept(out, keep);
    const past = pastNames(layout, "present").map((name) => out[name]);
    return {
      logits: logits.last,
      cache: RowCache.first(this.#rowTensors, past, this.images, inputIds[0].length),
    };
  }

  async forward(inputIds: readonly (readonly number[])[]): Promise<FloatTensor> {
    const { out, bytes } = await this.#first(inputIds);
    const dims = [...out.logits.dims];
    const logits = await readLogits(out.logits);
    logStepBytes(this.#g.stats, bytes + logits.bytes);
    disposeExcept(out, []);
    return { data: logits.all, dims };
  }

  /** The first-step graph over whole prompts, one row per image. */
  async #first(
    inputIds: readonly (readonly number[])[],
  ): Promise<{ out: Record<string, OrtTensor>; bytes: number }> {
    checkPrompts(inputIds, this.images, this.maxPositions);
    const ort = this.#ort();
    const { first, merged, layout } = this.#g;
    const rows = inputIds.length;
    const feeds: Record<string, OrtTensor> = {
      input_ids: idsTensor(ort, inputIds),
      encoder_hidden_states: await this.#encoderStates(),
    };
    this.#common(first, rows, feeds);
    if (merged) {
      feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([0]), [1]);
      const empty = emptyTensor(ort, [rows, layout.heads, 0, layout.headDim]);
      for (const name of first.inputNames) {
        if (name.startsWith("past_key_values.")) feeds[name] = empty;
      }
    }
    const out = await first.run(feeds, this.#run);
    // every first run computes the cross-attention K/V (GPT2 exports again at every step)
    this.#g.stats.firstRuns++;
    this.#g.stats.crossKvRuns++;
    const bytes = this.#pendingBytes + hostBytes(this.#backend(), feeds);
    this.#pendingBytes = 0;
    return { out, bytes };
  }

  async step(cache: DecoderCache, tokens: ArrayLike<number>): Promise<StepOutput> {
    const c = RowCache.forStep(cache, tokens, this.maxPositions);
    const ort = this.#ort();
    const { withPast, merged, layout } = this.#g;
    const ids = Array.from(tokens, (t) => [t]);
    const wide = await this.#forRows(c.rowImage);
    const feeds: Record<string, OrtTensor> = { input_ids: idsTensor(ort, ids) };
    if (wide.enc) feeds.encoder_hidden_states = wide.enc;
    this.#common(withPast, c.rows, feeds);
    const past = await c.take();
    pastNames(layout, "past_key_values").forEach((name, i) => (feeds[name] = past[i]));
    if (wide.cross) {
      crossNames(layout, "past_key_values").forEach((name, i) => (feeds[name] = wide.cross![i]));
    }
    if (merged) feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([1]), [1]);
    const out = await withPast.run(feeds, this.#run);
    this.#g.stats.stepRuns++;
    const keep = pastNames(layout, "present");
    const logits = await readLogits(out.logits);
    disposeExcept(out, keep);
    const bytes = this.#pendingBytes + hostBytes(this.#backend(), feeds) + logits.bytes;
    this.#pendingBytes = 0;
    logStepBytes(this.#g.stats, bytes);
    return { logits: logits.last, cache: c.next(keep.map((name) => out[name]), 1) };
  }

  dispose(): void {
    if (!onDevice(this.#backend())) return;
    disposeAll(this.#cross ?? []);
    if (this.#widened) disposeAll(this.#widened.owned);
    const enc = this.#encOnDevice;
    if (enc) void enc.then((t) => t.dispose(), () => {});
    this.#cross = null;
    this.#widened = null;
    this.#encOnDevice = null;
  }

  /** Row selection of the self-attention cache (cross-attention state is per image). */
  readonly select: (cache: DecoderCache, rows: ArrayLike<number>) => DecoderCache = selectRows;
  /** Frees the cache's tensors. */
  readonly release: (cache: DecoderCache) => void = releaseRows;
}
