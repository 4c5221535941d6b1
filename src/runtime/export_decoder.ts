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
import type { DecoderCache, DecoderStepper, StepOutput } from "../generation/decoder_stepper.ts";
import { ModelLoadError } from "../errors.ts";
import type { GraphSession, RunOptions } from "./graph_session.ts";
import type { Ort, OrtTensor } from "./ort.ts";
import type { FloatTensor } from "../tensor.ts";
import { cpuData, emptyTensor, gatherRows, idsTensor, lastPosition } from "./tensors.ts";

/** How the export names its cache. */
export type CacheNaming = "seq2seq" | "gpt2";

/** Cache geometry read from the graph. */
export interface CacheLayout {
  naming: CacheNaming;
  layers: number;
  heads: number;
  headDim: number;
}

/** Counters a test or benchmark reads. */
export interface DecoderStats {
  /** Runs of the first-step graph (one per image batch, not per beam). */
  firstRuns: number;
  /** Runs of the with-past graph. */
  stepRuns: number;
  /** Bytes copied to widen per-image tensors (cross K/V or encoder states) to rows. */
  crossBytesCopied: number;
}

/**
 * Reads the cache layout from a with-past graph's inputs.
 * @param session the with-past (or merged) decoder
 * @returns naming, layers, heads and head size
 */
export function readCacheLayout(session: GraphSession): CacheLayout {
  const inputs = session.inputs();
  const seq = inputs.filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name));
  const gpt = inputs.filter((i) => /^past_key_values\.\d+\.key$/.test(i.name));
  const self = seq.length ? seq : gpt;
  if (!self.length) {
    throw new ModelLoadError(
      `Cannot use ${session.name} as a decoder with cache: it has no past_key_values.{i}.key or past_key_values.{i}.decoder.key input (inputs: ${
        inputs.map((i) => i.name).join(", ")
      })`,
    );
  }
  const [, heads, , headDim] = self[0].shape;
  if (typeof heads !== "number" || typeof headDim !== "number") {
    throw new ModelLoadError(
      `Cannot use ${session.name}: ${self[0].name} has symbolic heads/head size ${
        JSON.stringify(self[0].shape)
      }`,
    );
  }
  return { naming: seq.length ? "seq2seq" : "gpt2", layers: self.length, heads, headDim };
}

/**
 * Self-attention cache names of a layout, key then value per layer.
 * @param layout the cache layout
 * @param kind inputs ("past_key_values") or outputs ("present")
 * @returns the names in feed order
 */
export function pastNames(layout: CacheLayout, kind: "past_key_values" | "present"): string[] {
  const names: string[] = [];
  const mid = layout.naming === "seq2seq" ? ".decoder" : "";
  for (let i = 0; i < layout.layers; i++) {
    names.push(`${kind}.${i}${mid}.key`, `${kind}.${i}${mid}.value`);
  }
  return names;
}

function crossNames(layout: CacheLayout, kind: "past_key_values" | "present"): string[] {
  const names: string[] = [];
  for (let i = 0; i < layout.layers; i++) {
    names.push(`${kind}.${i}.encoder.key`, `${kind}.${i}.encoder.value`);
  }
  return names;
}

/** A cache of self-attention K/V rows, as the export decoders keep it. */
export class ExportCache implements DecoderCache {
  released = false;
  constructor(
    readonly rows: number,
    readonly rowImage: Int32Array,
    readonly past: OrtTensor[],
    readonly pastLength: number,
  ) {}

  /**
   * A cache whose row r is row `rows[r]` of this one (self-attention K/V only).
   * @param ort the runtime
   * @param rows source row of each new row
   * @returns the new cache; this one stays valid until released
   */
  select(ort: Ort, rows: ArrayLike<number>): ExportCache {
    if (this.released) throw new Error("select() on a released cache");
    const past = this.past.map((t) => gatherRows(ort, t, rows));
    const rowImage = Int32Array.from(rows, (r) => this.rowImage[r]);
    return new ExportCache(rows.length, rowImage, past, this.pastLength);
  }

  /** Frees GPU-resident tensors; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.past) if (t.location === "gpu-buffer") t.dispose();
  }
}

/** An export's decoder graphs, ready to bind to encoder states. */
export class ExportDecoder {
  /** Run counters. */
  readonly stats: DecoderStats = { firstRuns: 0, stepRuns: 0, crossBytesCopied: 0 };
  readonly layout: CacheLayout;
  /** Size of the logits' last axis. */
  readonly vocabSize: number;
  readonly #first: GraphSession;
  readonly #withPast: GraphSession;
  readonly #merged: boolean;
  readonly #maxPositions: number;
  readonly #stepReadsEncoderStates: boolean;

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
    this.#first = first;
    this.#withPast = withPast;
    this.#merged = first === withPast;
    this.#maxPositions = maxPositions;
    this.#stepReadsEncoderStates = stepReadsEncoderStates ??
      withPast.inputNames.includes("encoder_hidden_states");
    this.layout = readCacheLayout(withPast);
    const logits = withPast.outputs().find((o) => o.name === "logits");
    const vocab = logits?.shape[2];
    if (typeof vocab !== "number") {
      throw new ModelLoadError(
        `Cannot use ${withPast.name}: no logits output with a fixed vocabulary axis`,
      );
    }
    this.vocabSize = vocab;
    if (this.#merged && !first.inputNames.includes("use_cache_branch")) {
      throw new ModelLoadError(`${first.name} has no use_cache_branch input: not a merged decoder`);
    }
  }

  /** The graphs, for statistics. */
  get sessions(): GraphSession[] {
    return this.#merged ? [this.#first] : [this.#first, this.#withPast];
  }

  /**
   * Binds the decoder to one batch of images' encoder states.
   * @param encoderStates CPU tensor [images, seq, hidden]
   * @param options an AbortSignal every run of the stepper honours
   * @returns a stepper for the decoding loops
   */
  bind(encoderStates: OrtTensor, options: RunOptions = {}): BoundDecoder {
    return new ExportStepper(this, encoderStates, options);
  }

  /** @internal */
  get parts(): {
    first: GraphSession;
    withPast: GraphSession;
    merged: boolean;
    max: number;
    stepReadsEncoderStates: boolean;
  } {
    return {
      first: this.#first,
      withPast: this.#withPast,
      merged: this.#merged,
      max: this.#maxPositions,
      stepReadsEncoderStates: this.#stepReadsEncoderStates,
    };
  }
}

/** A decoder bound to encoder states: the generation contract plus a whole-sequence forward. */
export interface BoundDecoder extends DecoderStepper {
  /**
   * Logits at every position of whole sequences, no cache (training loss, parity checks).
   * @param inputIds one equal-length row per image
   * @returns logits [images, n, vocab]
   */
  forward(inputIds: readonly (readonly number[])[]): Promise<FloatTensor>;
}

class ExportStepper implements BoundDecoder {
  readonly vocabSize: number;
  readonly images: number;
  readonly maxPositions: number;
  readonly #dec: ExportDecoder;
  readonly #enc: OrtTensor;
  #cross: OrtTensor[] | null = null;
  #widened: { key: string; enc: OrtTensor | null; cross: OrtTensor[] | null } | null = null;
  readonly #run: RunOptions;

  constructor(dec: ExportDecoder, enc: OrtTensor, run: RunOptions) {
    this.#dec = dec;
    this.#enc = enc;
    this.#run = run;
    this.images = enc.dims[0];
    this.maxPositions = dec.parts.max;
    this.vocabSize = dec.vocabSize;
  }

  #ort() {
    return this.#dec.parts.first.backend.ort;
  }

  /** Per-image tensors widened to the rows' layout, once per layout. */
  #forRows(rowImage: Int32Array): { enc: OrtTensor | null; cross: OrtTensor[] | null } {
    const key = rowImage.join(",");
    if (this.#widened?.key === key) return this.#widened;
    const identity = rowImage.length === this.images && rowImage.every((v, i) => v === i);
    const widen = (t: OrtTensor): OrtTensor => {
      if (identity) return t;
      const out = gatherRows(this.#ort(), t, rowImage);
      this.#dec.stats.crossBytesCopied += cpuData(out).byteLength;
      return out;
    };
    // Seq2seq with-past steps read the cached encoder K/V; most never read the encoder states,
    // which a merged graph still lists (for its other branch): feed those per image, unwidened.
    // Some steps do read them: Optimum's BERT/RoBERTa exports build the cross-attention mask
    // from their shape (`ones(encoder_hidden_states.shape[:2])`), which must then match the rows
    // (images x beams) or the mask's Add fails to broadcast.
    const { withPast, stepReadsEncoderStates } = this.#dec.parts;
    const needsEnc = withPast.inputNames.includes("encoder_hidden_states");
    const perImage = this.#dec.layout.naming === "seq2seq" && !stepReadsEncoderStates;
    this.#widened = {
      key,
      enc: needsEnc ? (perImage ? this.#enc : widen(this.#enc)) : null,
      cross: this.#cross ? this.#cross.map(widen) : null,
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
    const out = await this.#first(inputIds);
    const layout = this.#dec.layout;
    if (layout.naming === "seq2seq") {
      this.#cross = crossNames(layout, "present").map((name) => {
        const t = out[name];
        if (!t) throw new ModelLoadError(`${this.#dec.parts.first.name} did not return ${name}`);
        return t;
      });
    }
    const past = pastNames(layout, "present").map((name) => out[name]);
    const rows = inputIds.length;
    const rowImage = Int32Array.from({ length: rows }, (_, i) => i);
    return {
      logits: lastPosition(out.logits),
      cache: new ExportCache(rows, rowImage, past, inputIds[0].length),
    };
  }

  async forward(inputIds: readonly (readonly number[])[]): Promise<FloatTensor> {
    const out = await this.#first(inputIds);
    return { data: cpuData(out.logits), dims: [...out.logits.dims] };
  }

  /** The first-step graph over whole prompts, one row per image. */
  async #first(inputIds: readonly (readonly number[])[]): Promise<Record<string, OrtTensor>> {
    if (inputIds.length !== this.images) {
      throw new RangeError(
        `start() needs one row per image (${this.images}), got ${inputIds.length}`,
      );
    }
    const n = inputIds[0]?.length ?? 0;
    if (n < 1) throw new RangeError("start() needs at least one token per row");
    if (n > this.maxPositions) {
      throw new RangeError(
        `prompt of ${n} tokens exceeds the decoder's ${this.maxPositions} positions`,
      );
    }
    const ort = this.#ort();
    const { first, merged } = this.#dec.parts;
    const layout = this.#dec.layout;
    const rows = inputIds.length;
    const feeds: Record<string, OrtTensor> = {
      input_ids: idsTensor(ort, inputIds),
      encoder_hidden_states: this.#enc,
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
    this.#dec.stats.firstRuns++;
    return out;
  }

  async step(cache: DecoderCache, tokens: ArrayLike<number>): Promise<StepOutput> {
    const c = cache as ExportCache;
    if (c.released) throw new Error("step() on a released cache");
    if (tokens.length !== c.rows) {
      throw new RangeError(`step() needs ${c.rows} tokens, got ${tokens.length}`);
    }
    if (c.pastLength + 1 > this.maxPositions) {
      throw new RangeError(
        `sequence of ${
          c.pastLength + 1
        } tokens exceeds the decoder's ${this.maxPositions} positions`,
      );
    }
    const ort = this.#ort();
    const { withPast, merged } = this.#dec.parts;
    const layout = this.#dec.layout;
    const ids = Array.from(tokens, (t) => [t]);
    const wide = this.#forRows(c.rowImage);
    const feeds: Record<string, OrtTensor> = { input_ids: idsTensor(ort, ids) };
    if (wide.enc) feeds.encoder_hidden_states = wide.enc;
    this.#common(withPast, c.rows, feeds);
    pastNames(layout, "past_key_values").forEach((name, i) => (feeds[name] = c.past[i]));
    if (wide.cross) {
      crossNames(layout, "past_key_values").forEach((name, i) => (feeds[name] = wide.cross![i]));
    }
    if (merged) feeds.use_cache_branch = new ort.Tensor("bool", new Uint8Array([1]), [1]);
    const out = await withPast.run(feeds, this.#run);
    this.#dec.stats.stepRuns++;
    const past = pastNames(layout, "present").map((name) => out[name]);
    return {
      logits: lastPosition(out.logits),
      cache: new ExportCache(c.rows, c.rowImage, past, c.pastLength + 1),
    };
  }

  select(cache: DecoderCache, rows: ArrayLike<number>): DecoderCache {
    return (cache as ExportCache).select(this.#ort(), rows);
  }

  release(cache: DecoderCache): void {
    (cache as ExportCache).release();
  }
}
