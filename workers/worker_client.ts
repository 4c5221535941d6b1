/**
 * The main thread's side of one worker: starts it (through src/platform/worker_port.ts), loads
 * its half of the model, sends requests and matches the answers by id. A request's AbortSignal
 * sends `cancel` and rejects the call at once. When the worker dies (an uncaught error, out of
 * memory, `terminate()`), every call in flight rejects with WorkerDiedError and the worker is
 * dropped; the next call starts and loads a new one.
 * @module
 */
import { AbortError, WorkerDiedError } from "../src/errors.ts";
import { startWorker, type WorkerPort } from "../src/platform/worker_port.ts";
import {
  fromWireError,
  type LoadedInfo,
  transferredBytes,
  transfersOf,
  type WorkerModelOptions,
  type WorkerRequest,
  type WorkerRequestBody,
  type WorkerResponse,
  type WorkerRole,
} from "./protocol.ts";

/** Counters a test or benchmark reads. */
export interface WorkerClientStats {
  /** Workers started (1 + restarts). */
  starts: number;
  /** Workers that died with calls in flight or while idle. */
  deaths: number;
  /** Requests sent, by type. */
  sent: Record<string, number>;
  /** Bytes moved to the worker by transfer, by request type. */
  bytesSent: Record<string, number>;
  /** Bytes moved back by transfer. */
  bytesReceived: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Cancels the request in the worker and rejects it with AbortError. */
  signal?: AbortSignal;
  /** Receives the request's progress messages. */
  onProgress?: (tokens: number[]) => void;
}

interface Pending {
  resolve(r: WorkerResponse): void;
  reject(e: unknown): void;
  onProgress?: (tokens: number[]) => void;
}

interface Live {
  port: WorkerPort;
  /** Resolves when the worker listens. */
  listening: Promise<void>;
  onListening: () => void;
  onDeathBeforeListening: (e: Error) => void;
  /** Settles when the worker has loaded its half. */
  ready: Promise<LoadedInfo>;
  pending: Map<number, Pending>;
  dead: boolean;
}

const ENTRIES: Record<WorkerRole, () => URL> = {
  encoder: () => new URL("./encoder_worker.ts", import.meta.url),
  decoder: () => new URL("./decoder_worker.ts", import.meta.url),
};

/** One worker holding one half of a model, restarted when it dies. */
export class WorkerClient {
  /** Counters. */
  readonly stats: WorkerClientStats = {
    starts: 0,
    deaths: 0,
    sent: {},
    bytesSent: {},
    bytesReceived: 0,
  };
  readonly #role: WorkerRole;
  readonly #source: string;
  readonly #options: WorkerModelOptions;
  #live: Live | null = null;
  #starting: Promise<Live> | null = null;
  #nextId = 1;
  #disposed = false;

  /**
   * Prepares the client; nothing starts until {@link WorkerClient.ready} or a request.
   * @param role which half the worker holds
   * @param source the model's folder, URL or Hub id (resolved again inside the worker)
   * @param options cloneable load options
   */
  constructor(role: WorkerRole, source: string, options: WorkerModelOptions) {
    this.#role = role;
    this.#source = source;
    this.#options = options;
  }

  /** Whether a worker is running now. */
  get alive(): boolean {
    return this.#live !== null;
  }

  /**
   * Starts the worker if none runs, and waits until it has loaded its half of the model.
   * @returns what the worker reports about its backend (and, for the decoder, the defaults)
   */
  async ready(): Promise<LoadedInfo> {
    return await (await this.#ensure()).ready;
  }

  #ensure(): Promise<Live> {
    if (this.#disposed) return Promise.reject(new Error(`the ${this.#role} worker was disposed`));
    if (this.#live && !this.#live.dead) return Promise.resolve(this.#live);
    // concurrent first calls share one start
    this.#starting ??= this.#start().finally(() => this.#starting = null);
    return this.#starting;
  }

  async #start(): Promise<Live> {
    const port = await startWorker(ENTRIES[this.#role](), `vedge ${this.#role}`);
    if (!port) throw new TypeError("this host cannot start Web Workers");
    this.stats.starts++;
    let onListening = (): void => {};
    let onDeathBeforeListening = (_: Error): void => {};
    const listening = new Promise<void>((resolve, reject) => {
      onListening = resolve;
      onDeathBeforeListening = reject;
    });
    const live: Live = {
      port,
      listening,
      onListening,
      onDeathBeforeListening,
      ready: Promise.resolve(null as never),
      pending: new Map(),
      dead: false,
    };
    this.#live = live;
    port.listen((m) => this.#receive(live, m as WorkerResponse), (why) => this.#died(live, why));
    live.ready = live.listening.then(() =>
      this.#send(live, {
        type: "load",
        role: this.#role,
        source: this.#source,
        options: this.#options,
      }, {})
    ).then((r) => (r as { info: LoadedInfo }).info);
    // a worker that cannot load is of no use to anyone: drop it, the next call retries
    live.ready.catch(() => this.#drop(live));
    return live;
  }

  #receive(live: Live, m: WorkerResponse): void {
    if (m.type === "listening") return live.onListening();
    const p = live.pending.get(m.id);
    if (!p) return; // cancelled: nobody waits for this answer
    if (m.type === "progress") {
      p.onProgress?.(m.tokens);
      return;
    }
    live.pending.delete(m.id);
    this.stats.bytesReceived += transferredBytes(m);
    if (m.type === "error") p.reject(fromWireError(m.error));
    else p.resolve(m);
  }

  #died(live: Live, why: string): void {
    if (live.dead) return;
    this.stats.deaths++;
    const n = live.pending.size;
    const error = new WorkerDiedError(
      `the ${this.#role} worker died (${why}) with ${n} call(s) in flight; the next call starts a new one`,
    );
    this.#drop(live);
    live.onDeathBeforeListening(error);
    for (const p of live.pending.values()) p.reject(error);
    live.pending.clear();
  }

  #drop(live: Live): void {
    live.dead = true;
    live.port.terminate();
    if (this.#live === live) this.#live = null;
  }

  #send(live: Live, body: WorkerRequestBody, options: RequestOptions): Promise<WorkerResponse> {
    const id = this.#nextId++;
    const message = { ...body, id } as WorkerRequest;
    const { signal, onProgress } = options;
    return new Promise<WorkerResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(
          new AbortError(`${this.#role} worker: aborted before it was sent`, {
            cause: signal.reason,
          }),
        );
        return;
      }
      const onAbort = (): void => {
        if (!live.pending.delete(id)) return;
        if (!live.dead) live.port.post({ type: "cancel", id });
        reject(
          new AbortError(`${this.#role} worker: ${body.type} aborted`, { cause: signal!.reason }),
        );
      };
      const done = (): void => signal?.removeEventListener("abort", onAbort);
      live.pending.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
        onProgress,
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      const type = body.type;
      this.stats.sent[type] = (this.stats.sent[type] ?? 0) + 1;
      this.stats.bytesSent[type] = (this.stats.bytesSent[type] ?? 0) + transferredBytes(message);
      live.port.post(message, transfersOf(message));
    });
  }

  /**
   * Sends a request once the worker is ready (starting it if needed).
   * @param body the request without its id
   * @param options signal and progress callback
   * @returns the worker's answer (errors reject, revived as their class)
   */
  async request(body: WorkerRequestBody, options: RequestOptions = {}): Promise<WorkerResponse> {
    const live = await this.#ensure();
    await live.ready;
    if (live.dead) return await this.request(body, options);
    return await this.#send(live, body, options);
  }

  /** Kills the worker now, as if it had crashed (calls in flight reject; the next call restarts). */
  terminate(): void {
    if (this.#live) this.#died(this.#live, "terminated");
  }

  /** Frees the worker's sessions and stops it; the client cannot be used afterwards. */
  async dispose(): Promise<void> {
    const live = this.#live;
    this.#disposed = true;
    if (!live) return;
    try {
      await live.ready;
      await this.#send(live, { type: "dispose" }, {});
    } catch { /* it is stopped below either way */ }
    this.#drop(live);
  }
}
