/**
 * One ONNX graph loaded into onnxruntime-web, with what vedge needs around it: clear load and run
 * errors (one line, naming the graph), input metadata, a run counter (tests prove the encoder and
 * cross-attention graphs run once per image), and the run queue of its onnxruntime instance
 * (src/runtime/run_queue.ts), through which every creation, run and release goes: overlapping
 * runs corrupt the instance. Runs take an AbortSignal; runs of several requests can be merged
 * into one (see {@link GraphSession.merged}).
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { decodeModel } from "../graph/onnx_io.ts";
import type { Backend } from "./backend.ts";
import type { OrtSession, OrtTensor } from "./ort.ts";
import { type BatchKind, type RunQueue, runQueueFor } from "./run_queue.ts";

/** Static facts of one graph input. */
export interface InputInfo {
  name: string;
  type: string;
  /** Dimensions: numbers where fixed, names where symbolic. */
  shape: (number | string)[];
}

/** Options for loading a graph. */
export interface GraphSessionOptions {
  /** Keep outputs on the GPU (WebGPU only). */
  outputsOnGpu?: boolean;
}

/** Options of one run. */
export interface RunOptions {
  /** Drops the run while it waits in the queue, or its result if it is already running. */
  signal?: AbortSignal;
}

/** Feeds and outputs of one run. */
export type Feeds = Record<string, OrtTensor>;

/** How requests of several callers become one run and its outputs go back to each. */
export interface MergeSpec<P, R> {
  /** Most requests in one run. */
  maxBatch: number;
  /** Feeds of one run for the payloads of the merged requests. */
  feeds(payloads: P[]): Feeds;
  /** Each request's result from the run's outputs. */
  split(outputs: Feeds, payloads: P[]): R[];
}

/** Options of a merged run. */
export interface MergedRunOptions extends RunOptions {
  /** Only requests with the same key merge (e.g. the image size). */
  batchKey: string;
}

/** ORT's most severe level: its native log would otherwise print `[E:onnxruntime:...]` lines. */
const LOG_FATAL_ONLY = 4;
const RUN_OPTIONS = { logSeverityLevel: LOG_FATAL_ONLY } as const;

/** Frees the GPU-resident tensors of outputs nobody will read. */
function disposeOutputs(outputs: Feeds): void {
  for (const t of Object.values(outputs)) if (t.location === "gpu-buffer") t.dispose();
}

/** The first line of an error's message (onnxruntime's can span lines). */
function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}

/**
 * Why a session could not be created, naming the real cause: a file that is not a readable ONNX
 * model, or (the file decodes) the backend's own refusal, e.g. a WebGPU EP limit or a missing
 * kernel, which is no fault of the file.
 */
function creationFailure(name: string, bytes: Uint8Array, backend: Backend, e: unknown): string {
  const why = firstLine(e);
  try {
    decodeModel(bytes, name);
  } catch (bad) {
    return `${(bad as Error).message}; onnxruntime said: ${why}`;
  }
  return `Cannot load ${name}: onnxruntime's ${backend.device} backend could not create a session for this valid ONNX model (${bytes.byteLength} bytes): ${why}`;
}

/** A loaded graph. */
export class GraphSession {
  /** Name for messages and statistics, e.g. "onnx/encoder_model.onnx". */
  readonly name: string;
  /** Number of completed runs (a merged run counts once). */
  runs = 0;
  readonly #session: OrtSession;
  readonly #backend: Backend;
  readonly #queue: RunQueue;
  readonly #single: BatchKind<Feeds, Feeds>;
  #released = false;
  #releasing: Promise<void> | null = null;

  private constructor(name: string, session: OrtSession, backend: Backend, queue: RunQueue) {
    this.name = name;
    this.#session = session;
    this.#backend = backend;
    this.#queue = queue;
    this.#single = {
      name,
      run: async ([feeds]) => [await this.#runNow(feeds)],
      discard: disposeOutputs,
    };
  }

  /**
   * Loads a graph from its bytes.
   * @param backend the chosen backend
   * @param bytes the ONNX model
   * @param name file name and source for messages
   * @param options output placement
   * @returns the session
   */
  static async create(
    backend: Backend,
    bytes: Uint8Array,
    name: string,
    options: GraphSessionOptions = {},
  ): Promise<GraphSession> {
    if (bytes.byteLength < 16) {
      throw new ModelLoadError(
        `Cannot load ${name}: file is ${bytes.byteLength} bytes, not an ONNX model`,
      );
    }
    const queue = runQueueFor(backend.ort);
    const create = (): Promise<OrtSession> =>
      backend.ort.InferenceSession.create(bytes, {
        executionProviders: backend.executionProviders,
        graphOptimizationLevel: "all",
        logSeverityLevel: LOG_FATAL_ONLY,
        ...(options.outputsOnGpu && backend.device === "webgpu"
          ? { preferredOutputLocation: "gpu-buffer" as const }
          : {}),
      });
    try {
      const session = await queue.submit(
        { name: `creating ${name}`, run: async () => [await create()] },
        undefined,
      );
      return new GraphSession(name, session, backend, queue);
    } catch (e) {
      throw new ModelLoadError(creationFailure(name, bytes, backend, e), { cause: e });
    }
  }

  /** Which backend runs this graph. */
  get backend(): Backend {
    return this.#backend;
  }

  /** The queue of this graph's onnxruntime instance. */
  get queue(): RunQueue {
    return this.#queue;
  }

  /** Graph input names, in graph order. */
  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Graph output names, in graph order. */
  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Static metadata of every input.
   * @returns name, element type and shape of each input
   */
  inputs(): InputInfo[] {
    return this.#session.inputMetadata.map((m) => {
      const t = m as {
        name: string;
        isTensor: boolean;
        type?: string;
        shape?: (number | string)[];
      };
      return { name: t.name, type: t.type ?? "unknown", shape: t.shape ?? [] };
    });
  }

  /**
   * Static metadata of every output.
   * @returns name, element type and shape of each output
   */
  outputs(): InputInfo[] {
    return this.#session.outputMetadata.map((m) => {
      const t = m as { name: string; type?: string; shape?: (number | string)[] };
      return { name: t.name, type: t.type ?? "unknown", shape: t.shape ?? [] };
    });
  }

  /**
   * Runs the graph, in turn with every other run of its onnxruntime instance. The caller owns
   * the returned tensors.
   * @param feeds input name -> tensor (extra names are dropped, missing ones are an error)
   * @param options an AbortSignal
   * @returns output name -> tensor
   */
  run(feeds: Feeds, options: RunOptions = {}): Promise<Feeds> {
    let inputs: Feeds;
    try {
      inputs = this.#pick(feeds);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#queue.submit(this.#single, inputs, { signal: options.signal });
  }

  /**
   * A runner whose requests merge with the other requests of the same batch key that are waiting
   * in the queue, into one run of the graph (dynamic batching). Make it once and keep it: only
   * requests of the same runner merge.
   * @param spec how payloads become feeds and outputs become results
   * @returns the runner
   */
  merged<P, R>(spec: MergeSpec<P, R>): (payload: P, options: MergedRunOptions) => Promise<R> {
    const kind: BatchKind<P, R> = {
      name: this.name,
      maxBatch: spec.maxBatch,
      run: async (payloads) =>
        spec.split(await this.#runNow(this.#pick(spec.feeds(payloads))), payloads),
    };
    return (payload, options) =>
      this.#queue.submit(kind, payload, { signal: options.signal, batchKey: options.batchKey });
  }

  #pick(feeds: Feeds): Feeds {
    const inputs: Feeds = {};
    for (const n of this.#session.inputNames) {
      const t = feeds[n];
      if (!t) throw new Error(`${this.name}: internal error, no value for input "${n}"`);
      inputs[n] = t;
    }
    return inputs;
  }

  /** The run itself; only ever called by the queue, which holds the instance. */
  async #runNow(inputs: Feeds): Promise<Feeds> {
    if (this.#released) throw new Error(`${this.name}: run after the session was released`);
    let out: Feeds;
    try {
      out = await this.#session.run(inputs, RUN_OPTIONS) as Feeds;
    } catch (e) {
      throw new Error(`${this.name}: onnxruntime run failed: ${firstLine(e)}`, { cause: e });
    }
    this.runs++;
    return out;
  }

  /** Frees the session, after the runs queued before this call. Idempotent. */
  release(): Promise<void> {
    this.#releasing ??= this.#queue.submit({
      name: `releasing ${this.name}`,
      run: async () => {
        this.#released = true;
        await this.#session.release();
        return [undefined];
      },
    }, undefined);
    return this.#releasing;
  }
}
