/**
 * Dynamic batching: items (images) submitted by concurrent requests wait in one bounded FIFO
 * queue; the oldest waiting item's batch runs when `maxBatch` items with its key are waiting or
 * when it has waited `windowMs` (counted from its arrival, or from the end of the previous batch
 * when that is later), whichever comes first, taking the compatible items in arrival
 * order (incompatible ones keep their place for a later batch). Each item still settles on its
 * own: an abort (client gone, deadline) drops a waiting item at once and detaches a running one;
 * a batch whose items are all detached is aborted. When a batch fails for another reason, its
 * items are run one by one, so a bad item fails only its own request.
 * @module
 */
import { HttpError } from "./http_error.ts";

/** Runs one batch: results in item order. */
export type BatchRunner<T, R> = (items: T[], signal: AbortSignal) => Promise<R[]>;

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Most items per batch. */
  maxBatch: number;
  /** Longest wait of the oldest item for companions, ms (0: run what is there). */
  windowMs: number;
  /** Most items waiting (running ones not counted). */
  capacity: number;
  /** Batches run at the same time. */
  concurrency: number;
}

/** Counters, for `/healthz` and tests. */
export interface BatcherStats {
  /** Items waiting. */
  queued: number;
  /** Items in running batches. */
  running: number;
  /** Batches started (solo re-runs after a failed batch included). */
  batches: number;
  /** Items that ran. */
  items: number;
  /** Largest batch so far. */
  largestBatch: number;
}

interface RunningBatch {
  controller: AbortController;
  live: number;
}

interface Job<T, R> {
  item: T;
  key: string;
  enqueuedAt: number;
  state: "queued" | "running" | "settled";
  batch: RunningBatch | null;
  resolve(r: R): void;
  reject(e: unknown): void;
}

/** The batching queue in front of a model. */
export class Batcher<T, R> {
  readonly #run: BatchRunner<T, R>;
  readonly #o: BatcherOptions;
  readonly #queue: Job<T, R>[] = [];
  #runningBatches = 0;
  #runningItems = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  #avgBatchMs = 0;
  /** When the last batch ended: the window also counts from there (see #pump). */
  #freeSince = 0;
  readonly #stats = { batches: 0, items: 0, largestBatch: 0 };

  /**
   * @param run the batch runner (one model call per batch)
   * @param options sizes, window, queue capacity, concurrency
   */
  constructor(run: BatchRunner<T, R>, options: BatcherOptions) {
    this.#run = run;
    this.#o = { ...options };
  }

  /** Current counters. */
  get stats(): BatcherStats {
    return { queued: this.#queue.length, running: this.#runningItems, ...this.#stats };
  }

  /**
   * Whether `n` more items fit in the queue now (a cheap check before reading a body).
   * @param n items
   * @returns true when they fit
   */
  hasRoom(n: number): boolean {
    return !this.#draining && this.#queue.length + n <= this.#o.capacity;
  }

  /**
   * A refusal for a full queue, with a Retry-After estimated from recent batch times.
   * @returns the 503 error
   */
  queueFullError(): HttpError {
    const ahead = Math.ceil((this.#queue.length + 1) / this.#o.maxBatch / this.#o.concurrency);
    const seconds = Math.max(1, Math.ceil((ahead * this.#avgBatchMs) / 1000));
    return new HttpError(
      503,
      "QUEUE_FULL",
      `the queue is full (${this.#queue.length} of ${this.#o.capacity} images waiting): retry in ${seconds} s`,
      { "retry-after": String(seconds) },
    );
  }

  /**
   * Queues one request's items with their batching key.
   * @param items the request's items (they may share a batch with each other and with others)
   * @param key items with equal keys may share a batch
   * @param signal drops or detaches the items when it fires
   * @returns the results in item order; rejects with the signal's reason when it fires
   */
  submit(items: T[], key: string, signal: AbortSignal): Promise<R[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#draining) {
      return Promise.reject(
        new HttpError(503, "SHUTTING_DOWN", "the server is shutting down", { connection: "close" }),
      );
    }
    if (this.#queue.length + items.length > this.#o.capacity) {
      return Promise.reject(this.queueFullError());
    }
    const now = performance.now();
    const jobs: Job<T, R>[] = [];
    const done = items.map((item) =>
      new Promise<R>((resolve, reject) => {
        jobs.push({ item, key, enqueuedAt: now, state: "queued", batch: null, resolve, reject });
      })
    );
    const onAbort = (): void => {
      for (const j of jobs) this.#detach(j, signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    this.#queue.push(...jobs);
    this.#pump();
    const all = Promise.all(done);
    all.then(
      () => signal.removeEventListener("abort", onAbort),
      () => {
        signal.removeEventListener("abort", onAbort);
        for (const j of jobs) this.#detach(j, new Error("another image of the request failed"));
      },
    );
    return all;
  }

  /**
   * Stops taking items, runs what is queued without waiting for windows, and resolves when
   * nothing is queued or running.
   * @returns when idle
   */
  drain(): Promise<void> {
    this.#draining = true;
    this.#pump();
    if (this.#queue.length === 0 && this.#runningBatches === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #detach(job: Job<T, R>, reason: unknown): void {
    if (job.state === "settled") return;
    if (job.state === "queued") {
      this.#queue.splice(this.#queue.indexOf(job), 1);
      this.#checkIdle();
    } else if (job.batch && --job.batch.live === 0) {
      job.batch.controller.abort(reason);
    }
    job.state = "settled";
    job.reject(reason);
  }

  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#runningBatches < this.#o.concurrency && this.#queue.length > 0) {
      const head = this.#queue[0];
      const picked: Job<T, R>[] = [];
      for (const j of this.#queue) {
        if (j.key !== head.key) continue;
        picked.push(j);
        if (picked.length === this.#o.maxBatch) break;
      }
      // Requests that arrived while a batch ran are read and decoded only once it ends (the model
      // holds the event loop), so the window counts from the later of the oldest item's arrival
      // and the end of the last batch: they get the window to join.
      const waited = performance.now() - Math.max(head.enqueuedAt, this.#freeSince);
      if (picked.length < this.#o.maxBatch && waited < this.#o.windowMs && !this.#draining) {
        this.#timer = setTimeout(() => this.#pump(), this.#o.windowMs - waited);
        return;
      }
      for (const j of picked) this.#queue.splice(this.#queue.indexOf(j), 1);
      this.#runningBatches++;
      this.#runBatch(picked).finally(() => {
        this.#runningBatches--;
        this.#freeSince = performance.now();
        this.#checkIdle();
        // a macrotask turn first, so requests that arrived meanwhile are read and can join
        setTimeout(() => this.#pump(), 0);
      });
    }
  }

  async #runBatch(jobs: Job<T, R>[]): Promise<void> {
    const started = performance.now();
    let failure: unknown = null;
    try {
      await this.#runOnce(jobs);
    } catch (e) {
      failure = e;
    }
    this.#avgBatchMs = this.#avgBatchMs === 0
      ? performance.now() - started
      : 0.8 * this.#avgBatchMs + 0.2 * (performance.now() - started);
    if (failure === null) return;
    const live = jobs.filter((j) => j.state === "running");
    if (live.length <= 1) {
      for (const j of live) this.#settle(j, failure, false);
      return;
    }
    // isolate the item that failed: each live item alone
    for (const j of live) {
      if (j.state !== "running") continue;
      try {
        await this.#runOnce([j]);
      } catch (e) {
        this.#settle(j, e, false);
      }
    }
  }

  async #runOnce(jobs: Job<T, R>[]): Promise<void> {
    const batch: RunningBatch = { controller: new AbortController(), live: jobs.length };
    for (const j of jobs) (j.state = "running", j.batch = batch);
    this.#stats.batches++;
    this.#stats.items += jobs.length;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, jobs.length);
    this.#runningItems += jobs.length;
    try {
      const results = await this.#run(jobs.map((j) => j.item), batch.controller.signal);
      if (results.length !== jobs.length) {
        throw new Error(`batch runner returned ${results.length} results for ${jobs.length} items`);
      }
      jobs.forEach((j, i) => this.#settle(j, results[i], true));
    } finally {
      this.#runningItems -= jobs.length;
    }
  }

  #settle(job: Job<T, R>, value: unknown, ok: boolean): void {
    if (job.state !== "running") return;
    job.state = "settled";
    if (ok) job.resolve(value as R);
    else job.reject(value);
  }

  #checkIdle(): void {
    if (this.#queue.length > 0 || this.#runningBatches > 0) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}
