/**
 * One HTTP file transfer with a bounded retry: streamed, checked against Content-Length, passed
 * to an optional sink (the cache writer) chunk by chunk, and collected into one buffer.
 * Network errors, responses cut short and 5xx answers are retried; 4xx answers are not.
 * @module
 */

/** Settings shared by every request of one source. */
export interface HttpPolicy {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Extra request headers (Authorization). */
  headers: Record<string, string>;
  /** Retries after the first attempt (network errors, cut-short bodies, 5xx). */
  retries: number;
  /** Delay before the first retry; doubles after each. */
  retryDelayMs: number;
  /** Cancels requests and waits. */
  signal?: AbortSignal;
}

/** The server answered with a status that is not a success; `message` is "HTTP 404 at <url>". */
export class HttpStatusError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** @param status HTTP status @param url the URL requested @param attempts attempts made */
  constructor(status: number, url: string, attempts = 1) {
    super(`HTTP ${status} at ${url}${attempts > 1 ? ` (after ${attempts} attempts)` : ""}`);
    this.name = "HttpStatusError";
    this.status = status;
  }
}

/** A transfer failed in the network or was cut short: worth retrying. */
class TransferError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransferError";
  }
}

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Receives the chunks as they arrive; must consume them all or throw. */
  sink?: (chunks: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Called after each chunk with bytes so far and the expected total (when known). */
  onProgress?: (loaded: number, total: number | undefined) => void;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Runs `attempt` until it succeeds, retrying TransferErrors and 5xx statuses.
 * @param url for messages
 * @param policy retry count and delay
 * @param attempt one try
 * @returns what the successful try returned
 */
async function withRetry<T>(
  url: string,
  policy: HttpPolicy,
  attempt: () => Promise<T>,
): Promise<T> {
  const tries = policy.retries + 1;
  for (let i = 1;; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (policy.signal?.aborted) throw policy.signal.reason;
      const retryable = e instanceof TransferError ||
        (e instanceof HttpStatusError && e.status >= 500);
      if (!retryable) throw e;
      if (i >= tries) {
        if (e instanceof HttpStatusError) throw new HttpStatusError(e.status, url, i);
        throw new Error(`${e.message} at ${url}${i > 1 ? ` (after ${i} attempts)` : ""}`, {
          cause: e.cause ?? e,
        });
      }
      await sleep(policy.retryDelayMs * 2 ** (i - 1), policy.signal);
    }
  }
}

/**
 * Sends one request; a rejected fetch is a TransferError.
 * @param url the URL
 * @param init request init
 * @param policy fetch and signal
 * @returns the response
 */
async function send(url: string, init: RequestInit, policy: HttpPolicy): Promise<Response> {
  try {
    return await policy.fetch(url, { ...init, headers: policy.headers, signal: policy.signal });
  } catch (e) {
    if (policy.signal?.aborted) throw policy.signal.reason;
    throw new TransferError(`network error (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Asks whether a URL exists with HEAD, without following redirects (a redirect means the file
 * exists: the Hub redirects large files to a CDN that may refuse HEAD).
 * @param url the URL
 * @param policy fetch, headers, retries
 * @returns true for 2xx/3xx, false for 404 and 410; other statuses throw HttpStatusError
 */
export function headExists(url: string, policy: HttpPolicy): Promise<boolean> {
  return withRetry(url, policy, async () => {
    const res = await send(url, { method: "HEAD", redirect: "manual" }, policy);
    await res.body?.cancel();
    if (res.type === "opaqueredirect" || (res.status >= 200 && res.status < 400)) return true;
    if (res.status === 404 || res.status === 410) return false;
    throw new HttpStatusError(res.status, url);
  });
}

/**
 * Downloads a URL into memory (and into `sink`, when given), checking the byte count.
 * @param url the URL
 * @param policy fetch, headers, retries
 * @param options sink and progress callback
 * @returns the body's bytes
 */
export function download(
  url: string,
  policy: HttpPolicy,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  return withRetry(url, policy, async () => {
    const res = await send(url, { method: "GET" }, policy);
    if (!res.ok) {
      await res.body?.cancel();
      throw new HttpStatusError(res.status, url);
    }
    // With a Content-Encoding, fetch decodes the body and Content-Length counts encoded bytes.
    const encoding = res.headers.get("content-encoding");
    const lengthHeader = res.headers.get("content-length");
    const declared = lengthHeader === null ? NaN : Number(lengthHeader);
    const total = (!encoding || encoding === "identity") && Number.isSafeInteger(declared) &&
        declared >= 0
      ? declared
      : undefined;
    // With a known length, chunks go straight into one buffer (no second copy at the end).
    const whole = total === undefined ? undefined : allocate(total);
    const parts: Uint8Array[] = [];
    let loaded = 0;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      if (res.body === null) return;
      const reader = res.body.getReader();
      let finished = false;
      try {
        for (;;) {
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await reader.read();
          } catch (e) {
            if (policy.signal?.aborted) throw policy.signal.reason;
            throw new TransferError(
              `response broke off after ${loaded}${total === undefined ? "" : ` of ${total}`} ` +
                `bytes (${(e as Error).message})`,
              { cause: e },
            );
          }
          if (r.done) {
            finished = true;
            break;
          }
          loaded += r.value.length;
          if (total !== undefined && loaded > total) {
            throw new TransferError(`response is longer than its Content-Length ${total}`);
          }
          if (whole) whole.set(r.value, loaded - r.value.length);
          else parts.push(r.value);
          options.onProgress?.(loaded, total);
          yield r.value;
        }
      } finally {
        // Stopped early (an error, or the sink gave up): free the connection.
        if (!finished) await reader.cancel().catch(() => {});
        reader.releaseLock();
      }
      if (total !== undefined && loaded !== total) {
        throw new TransferError(`response cut short: ${loaded} of ${total} bytes`);
      }
    }
    if (options.sink) await options.sink(chunks());
    else for await (const _ of chunks());
    return whole ?? concat(parts, loaded);
  });
}

/**
 * Allocates the download buffer, or gives up quietly (chunks are then collected) when the
 * length is beyond what one typed array can hold here.
 * @param n bytes
 * @returns the buffer, or undefined
 */
function allocate(n: number): Uint8Array | undefined {
  try {
    return new Uint8Array(n);
  } catch {
    return undefined;
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
