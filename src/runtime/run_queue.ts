/**
 * The run queue: one per executor, the thing that can do one piece of work at a time. Here the
 * executor is an onnxruntime-web instance (see {@link runQueueFor}); issue 8's Web Workers add
 * one per worker, and a server's dynamic batching submits to it the same way.
 *
 * Why onnxruntime-web needs it (js/web/lib/wasm/wasm-core-impl.ts, 1.30): `run()` reserves the
 * input/output name and value arrays on the emscripten stack (`stackSave`/`stackAlloc`), then
 * `await`s (input preparation, `_OrtRun`, which is asynchronous in the WebGPU build, output
 * download) and only then `stackRestore`s. Two runs that overlap, of the same session or of any
 * two sessions of the same instance, free each other's stack frames ("output name cannot be
 * empty", "Reading data from non-tensor typed value", ERROR_CODE 0) and read each other's last
 * error. Session creation and release touch the same instance. So everything that enters one
 * instance goes through its queue, one job at a time. Nothing is lost by it: the WASM work runs
 * on the calling thread anyway, and separate instances (the WASM and WebGPU builds, workers)
 * keep separate queues and still run side by side.
 *
 * Requests carry an id, an optional AbortSignal and a batch key. A request aborted while it
 * waits leaves the queue at once and rejects with AbortError; one aborted while it runs rejects
 * at once too, and its result is handed to the kind's `discard` when it arrives. Requests of
 * the same kind and batch key that wait together are run as one batch (dynamic batching: the
 * first request never waits for company, the ones that queue up behind a busy executor merge).
 * Before each job the queue lets the event loop run (a task boundary, see yield_to_event_loop.ts):
 * a caller's timers and aborts fire between any two runs, whoever they belong to. A job must never
 * wait for another job of its own queue (it would wait forever): jobs call the runtime directly.
 * @module
 */
import { AbortError } from "../errors.ts";
import { yieldToEventLoop } from "./yield_to_event_loop.ts";

/** A kind of work: how to run one batch of compatible requests. */
export interface BatchKind<P, R> {
  /** Name for messages, e.g. "onnx/encoder_model.onnx from ./m". */
  readonly name: string;
  /** Most requests merged into one run (default 1: never merged). */
  readonly maxBatch?: number;
  /**
   * Runs the payloads of compatible requests together.
   * @param payloads one per request, in queue order
   * @param ids the requests' ids, in the same order (to tag messages that cross a boundary)
   * @returns one result per payload, in the same order
   */
  run(payloads: P[], ids: readonly number[]): Promise<R[]>;
  /** Frees a result nobody will read (its request was aborted while running). */
  discard?(result: R): void;
}

/** Per-request options. */
export interface SubmitOptions {
  /** Aborts the request: removed from the queue if waiting, rejected at once if running. */
  signal?: AbortSignal;
  /** Requests of the same kind and key may run as one batch (omit: never merged). */
  batchKey?: string;
}

/** Counters a test or benchmark reads. */
export interface RunQueueStats {
  /** Requests submitted. */
  submitted: number;
  /** Runs started (a merged batch counts once). */
  runs: number;
  /** Requests that ran merged with others. */
  merged: number;
  /** Requests rejected with AbortError (waiting or running). */
  aborted: number;
  /** Most requests waiting at once. */
  maxWaiting: number;
}

interface Request<P, R> {
  readonly id: number;
  readonly kind: BatchKind<P, R>;
  readonly key: string | undefined;
  readonly payload: P;
  readonly signal: AbortSignal | undefined;
  state: "waiting" | "running" | "settled";
  resolve(value: R): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

/**
 * The AbortError a request rejects with.
 * @param name what was aborted
 * @param where "while queued" or "while running"
 * @param signal the signal that fired
 * @returns the error
 */
function abortError(name: string, where: string, signal: AbortSignal): AbortError {
  return new AbortError(`${name}: aborted ${where}`, { cause: signal.reason });
}

/** A queue of work for one executor: one job at a time, compatible waiting jobs merged. */
export class RunQueue {
  /** Counters. */
  readonly stats: RunQueueStats = { submitted: 0, runs: 0, merged: 0, aborted: 0, maxWaiting: 0 };
  // deno-lint-ignore no-explicit-any
  readonly #waiting: Request<any, any>[] = [];
  #nextId = 1;
  #busy = false;

  /** Requests waiting (not counting the one running). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether a job is running now. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Queues one request.
   * @param kind how to run it (and what it may be merged with)
   * @param payload the request's input
   * @param options signal and batch key
   * @returns its result, or a rejection with the run's error or AbortError
   */
  submit<P, R>(kind: BatchKind<P, R>, payload: P, options: SubmitOptions = {}): Promise<R> {
    const { signal, batchKey } = options;
    this.stats.submitted++;
    if (signal?.aborted) {
      this.stats.aborted++;
      return Promise.reject(abortError(kind.name, "before it was queued", signal));
    }
    return new Promise<R>((resolve, reject) => {
      const req: Request<P, R> = {
        id: this.#nextId++,
        kind,
        key: batchKey,
        payload,
        signal,
        state: "waiting",
        resolve,
        reject,
      };
      if (signal) {
        req.onAbort = () => this.#abort(req);
        signal.addEventListener("abort", req.onAbort, { once: true });
      }
      this.#waiting.push(req);
      this.stats.maxWaiting = Math.max(this.stats.maxWaiting, this.#waiting.length);
      if (!this.#busy) {
        this.#busy = true;
        void this.#drain();
      }
    });
  }

  // deno-lint-ignore no-explicit-any
  #abort(req: Request<any, any>): void {
    if (req.state === "settled") return;
    const where = req.state === "waiting" ? "while queued" : "while running";
    if (req.state === "waiting") {
      const i = this.#waiting.indexOf(req);
      if (i >= 0) this.#waiting.splice(i, 1);
    }
    this.stats.aborted++;
    this.#settle(req, () => req.reject(abortError(req.kind.name, where, req.signal!)));
  }

  // deno-lint-ignore no-explicit-any
  #settle(req: Request<any, any>, how: () => void): void {
    if (req.state === "settled") return;
    req.state = "settled";
    if (req.onAbort) req.signal!.removeEventListener("abort", req.onAbort);
    how();
  }

  /** Runs waiting work until none is left. Never rejects: every error goes to its requests. */
  async #drain(): Promise<void> {
    try {
      for (;;) {
        // A task boundary before every job: timers and aborts fire (a waiting request whose
        // signal fired leaves the queue before it runs), and requests submitted meanwhile merge.
        await yieldToEventLoop();
        if (this.#waiting.length === 0) break;
        const head = this.#waiting.shift()!;
        const batch = [head];
        const max = head.kind.maxBatch ?? 1;
        if (head.key !== undefined && max > 1) {
          for (let i = 0; i < this.#waiting.length && batch.length < max;) {
            const r = this.#waiting[i];
            if (r.kind === head.kind && r.key === head.key) {
              batch.push(r);
              this.#waiting.splice(i, 1);
            } else i++;
          }
        }
        for (const r of batch) r.state = "running";
        this.stats.runs++;
        if (batch.length > 1) this.stats.merged += batch.length;
        await this.#run(batch);
      }
    } catch (e) {
      // only a bug in the queue gets here: fail what waits rather than leave it hanging
      for (const r of this.#waiting.splice(0)) this.#settle(r, () => r.reject(e));
    } finally {
      this.#busy = false;
    }
  }

  // deno-lint-ignore no-explicit-any
  async #run(batch: Request<any, any>[]): Promise<void> {
    const kind = batch[0].kind;
    let results: unknown[];
    try {
      results = await kind.run(batch.map((r) => r.payload), batch.map((r) => r.id));
      if (!Array.isArray(results) || results.length !== batch.length) {
        throw new Error(
          `${kind.name}: internal error, a batch of ${batch.length} returned ${
            Array.isArray(results) ? results.length : "no"
          } results`,
        );
      }
    } catch (e) {
      for (const r of batch) this.#settle(r, () => r.reject(e));
      return;
    }
    batch.forEach((r, i) => {
      if (r.state === "settled") {
        // aborted while running: nobody reads this result
        try {
          kind.discard?.(results[i]);
        } catch { /* freeing is best effort; the request already has its answer */ }
      } else this.#settle(r, () => r.resolve(results[i]));
    });
  }
}

const perInstance = new WeakMap<object, RunQueue>();

/**
 * The queue of one onnxruntime-web instance (one imported build: the WASM and the WebGPU builds
 * are separate instances). Every session of every model on that instance shares it.
 * @param ort the imported onnxruntime-web namespace
 * @returns its queue
 */
export function runQueueFor(ort: object): RunQueue {
  let q = perInstance.get(ort);
  if (!q) {
    q = new RunQueue();
    perInstance.set(ort, q);
  }
  return q;
}
