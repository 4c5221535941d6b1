/**
 * Starting a module worker, whatever the host calls it: Deno and browsers have the web's
 * `Worker`; Node has `worker_threads`; Cloudflare workerd has neither (then there are no
 * workers and the caller runs everything inline). Chosen by capability, when asked.
 *
 * Inside the worker, {@link parentPort} is the matching other end: the global scope on the web,
 * `worker_threads.parentPort` in Node.
 * @module
 */

/** The main thread's handle on one worker. */
export interface WorkerPort {
  /**
   * Sends a message; the buffers in `transfer` move to the worker (no copy, detached here).
   * @param message structured-cloneable
   * @param transfer buffers to move
   */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /**
   * Receives the worker's messages.
   * @param onMessage each message
   * @param onDeath the worker failed to start, threw outside any request, or exited
   */
  listen(onMessage: (message: unknown) => void, onDeath: (reason: string) => void): void;
  /** Stops the worker at once (work in it is lost). */
  terminate(): void;
}

/** The worker's handle on the thread that started it. */
export interface ParentPort {
  /**
   * Sends a message to the main thread.
   * @param message structured-cloneable
   * @param transfer buffers to move
   */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /**
   * Receives the main thread's messages.
   * @param onMessage each message
   */
  listen(onMessage: (message: unknown) => void): void;
}

interface WebWorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
  terminate(): void;
}
type WebWorkerCtor = new (url: URL, options: { type: "module"; name?: string }) => WebWorkerLike;

interface NodeWorkerLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  on(event: string, listener: (value: unknown) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  Worker: new (url: URL, options?: { name?: string }) => NodeWorkerLike;
  parentPort: {
    postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
    on(event: "message", listener: (value: unknown) => void): void;
  } | null;
}

// The host's own Worker, read when this module is evaluated (a read, not a side effect): the
// emscripten glue of onnxruntime-web's node build, which Deno resolves, replaces
// `globalThis.Worker` with Node's worker_threads Worker when it creates its first session
// (`global.Worker = require("worker_threads").Worker`). A worker started from that one gets no
// web messages, so a pipeline created after another model would hang waiting for its workers.
const NATIVE_WORKER: unknown = (globalThis as { Worker?: unknown }).Worker;

function webWorkerCtor(): WebWorkerCtor | undefined {
  const w = NATIVE_WORKER ?? (globalThis as { Worker?: unknown }).Worker;
  return typeof w === "function" ? w as WebWorkerCtor : undefined;
}

async function workerThreads(): Promise<WorkerThreads | undefined> {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof p?.versions?.node !== "string") return undefined;
  try {
    // a variable specifier keeps bundlers for the web from resolving node: modules
    const name = "node:worker_threads";
    return await import(name) as WorkerThreads;
  } catch {
    return undefined;
  }
}

/**
 * Whether this host can start module workers.
 * @returns true in Deno, browsers and Node; false in workerd
 */
export async function canStartWorkers(): Promise<boolean> {
  return webWorkerCtor() !== undefined || (await workerThreads()) !== undefined;
}

function fromWeb(worker: WebWorkerLike): WorkerPort {
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    listen(onMessage, onDeath) {
      worker.addEventListener("message", (e) => onMessage((e as MessageEvent).data));
      worker.addEventListener("messageerror", () => onDeath("a message could not be read"));
      worker.addEventListener("error", (e) => {
        // an uncaught error kills a Deno worker; in a browser it is reported and we stop it too
        e.preventDefault();
        const msg = (e as ErrorEvent).message || "uncaught error";
        worker.terminate();
        onDeath(msg);
      });
    },
    terminate: () => worker.terminate(),
  };
}

function fromNode(worker: NodeWorkerLike): WorkerPort {
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onDeath) {
      worker.on("message", onMessage);
      worker.on("error", (e) => onDeath(e instanceof Error ? e.message : String(e)));
      worker.on("exit", (code) => onDeath(`exited with code ${code}`));
    },
    terminate: () => void worker.terminate(),
  };
}

/**
 * Starts a module worker.
 * @param url the worker's entry module
 * @param name a name for debuggers and messages
 * @returns its port, or null where the host has no workers
 */
export async function startWorker(url: URL, name: string): Promise<WorkerPort | null> {
  const Web = webWorkerCtor();
  if (Web) return fromWeb(new Web(url, { type: "module", name }));
  const threads = await workerThreads();
  if (threads) return fromNode(new threads.Worker(url, { name }));
  return null;
}

/**
 * The other end, for code running inside a worker.
 * @returns the port to the thread that started this worker
 */
export async function parentPort(): Promise<ParentPort> {
  const scope = globalThis as unknown as {
    postMessage?(message: unknown, transfer: Transferable[]): void;
    addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  };
  // the web's worker scope first: Deno also offers node:worker_threads, whose parentPort is
  // not the port of a web Worker
  if (typeof scope.postMessage === "function") {
    const post = scope.postMessage.bind(scope);
    return {
      post: (message, transfer = []) => post(message, transfer),
      listen: (onMessage) => scope.addEventListener("message", (e) => onMessage(e.data)),
    };
  }
  const port = (await workerThreads())?.parentPort;
  if (!port) throw new Error("parentPort(): this code is not running in a worker");
  return {
    post: (message, transfer) => port.postMessage(message, transfer),
    listen: (onMessage) => port.on("message", onMessage),
  };
}
