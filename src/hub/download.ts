/**
 * One HTTP file transfer with a bounded retry: streamed, bounded by the expected size
 * (Content-Length, the Hub's X-Linked-Size) and by a byte limit whatever the server says
 * (endless bodies, gzip bombs: fetch decodes content-encodings, so the decoded bytes are
 * counted), each chunk within an idle timeout, the sha256 in X-Linked-Etag and a content check
 * verified at the end, passed to an optional sink (the cache writer) chunk by chunk, and
 * collected into one buffer. The sink sees an error (and so writes nothing) unless every check
 * passed. Network errors, timeouts, responses cut short or corrupt and 5xx answers are retried;
 * 4xx answers and refused content are not.
 * @module
 */
import { formatBytes } from "../platform/read_limits.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DownloadCheckError,
  type HttpPolicy,
  HttpStatusError,
  openResponse,
  TransferError,
} from "./http_request.ts";

export { DownloadCheckError, type HttpPolicy, HttpStatusError, TransferError };

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Receives the chunks as they arrive; must consume them all or throw. */
  sink?: (chunks: AsyncIterable<Uint8Array>) => Promise<void>;
  /** Called after each chunk with bytes so far and the expected total (when known). */
  onProgress?: (loaded: number, total: number | undefined) => void;
  /** Refuse a body larger than this (declared or received). Default: no limit but the size. */
  maxBytes?: number;
  /** Names the limit in messages, e.g. "the limit for json files (option readLimits.json)". */
  limitName?: string;
  /**
   * Checks the whole body before the sink may keep it.
   * @returns a problem ("an HTML page, not JSON"), or undefined when the content is fine
   */
  check?: (bytes: Uint8Array, contentType: string | null) => string | undefined;
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
      const after = i > 1 ? ` (after ${i} attempts)` : "";
      if (e instanceof DownloadCheckError) {
        throw new DownloadCheckError(`${e.message} at ${url}${after}`, { cause: e.cause });
      }
      if (!retryable) throw e;
      if (i >= tries) {
        if (e instanceof HttpStatusError) throw new HttpStatusError(e.status, url, i);
        const t = e as TransferError;
        throw new TransferError(`${t.message} at ${url}${after}`, t.noResponse, {
          cause: t.cause ?? t,
        });
      }
      await sleep(policy.retryDelayMs * 2 ** (i - 1), policy.signal);
    }
  }
}

/**
 * Asks whether a URL exists with HEAD, without following redirects (a redirect means the file
 * exists: the Hub redirects large files to a CDN that may refuse HEAD).
 * @param url the URL
 * @param policy fetch, headers, retries, timeouts
 * @returns true for 2xx/3xx, false for 404 and 410; other statuses throw HttpStatusError
 */
export function headExists(url: string, policy: HttpPolicy): Promise<boolean> {
  return withRetry(url, policy, async () => {
    const opened = await openResponse(url, "HEAD", policy, false);
    opened.release();
    const res = opened.response;
    await res.body?.cancel().catch(() => {});
    if (res.type === "opaqueredirect" || (res.status >= 200 && res.status < 400)) return true;
    if (res.status === 404 || res.status === 410) return false;
    throw new HttpStatusError(res.status, url);
  });
}

/**
 * Downloads a URL into memory (and into `sink`, when given), checking sizes, hash and content.
 * @param url the URL
 * @param policy fetch, headers, retries, timeouts, redirect cap
 * @param options sink, progress callback, byte limit, content check
 * @returns the body's bytes
 */
export function download(
  url: string,
  policy: HttpPolicy,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  return withRetry(url, policy, async () => {
    const opened = await openResponse(url, "GET", policy);
    try {
      return await receive(url, opened.response, policy, options, opened);
    } finally {
      opened.release();
    }
  });
}

/**
 * Reads, bounds and checks one response body.
 * @param url the URL requested, for messages
 * @param res the response
 * @param policy timeouts and signal
 * @param options sink, progress, limit, check
 * @param opened what the redirects said, and the attempt's abort
 * @returns the body
 */
async function receive(
  url: string,
  res: Response,
  policy: HttpPolicy,
  options: DownloadOptions,
  opened: { linkedSize?: number; linkedEtag?: string; abort(e: Error): void; signal: AbortSignal },
): Promise<Uint8Array> {
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new HttpStatusError(res.status, url);
  }
  // With a Content-Encoding, fetch decodes the body and Content-Length counts encoded bytes.
  const encoding = res.headers.get("content-encoding");
  const lengthHeader = res.headers.get("content-length");
  const declared = lengthHeader === null ? NaN : Number(lengthHeader);
  const length = (!encoding || encoding === "identity") && Number.isSafeInteger(declared) &&
      declared >= 0
    ? declared
    : undefined;
  const linked = opened.linkedSize;
  const total = linked ?? length;
  const max = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const tooBig = (n: number, grew: boolean): DownloadCheckError =>
    new DownloadCheckError(
      `${grew ? "the body grew past" : "the server announces"} ${formatBytes(grew ? max : n)}` +
        `${grew ? "" : `, over ${formatBytes(max)}`}, ${options.limitName ?? "the size limit"}`,
    );
  const announced = Math.max(linked ?? 0, length ?? 0);
  if (announced > max) {
    await res.body?.cancel().catch(() => {});
    throw tooBig(announced, false);
  }
  if (linked !== undefined && length !== undefined && linked !== length) {
    await res.body?.cancel().catch(() => {});
    throw new DownloadCheckError(
      `Content-Length ${length} disagrees with the Hub's X-Linked-Size ${linked}`,
    );
  }
  const bound = total ?? max;
  // With a known length, chunks go straight into one buffer (no second copy at the end).
  const whole = total === undefined ? undefined : allocate(total);
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const idleMs = policy.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const stalled = (): TransferError =>
    new TransferError(`no data for ${idleMs} ms after ${loaded} bytes`, false);
  const aborted = new Promise<never>((_, reject) => {
    const fire = (): void => reject(opened.signal.reason);
    if (opened.signal.aborted) fire();
    else opened.signal.addEventListener("abort", fire, { once: true });
  });
  aborted.catch(() => {});
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (res.body === null) {
      if (total) throw new TransferError(`response cut short: 0 of ${total} bytes`, false);
      await verify(new Uint8Array(0));
      return;
    }
    const reader = res.body.getReader();
    let finished = false;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        let lateError: TransferError | undefined;
        const timer = setTimeout(() => opened.abort(lateError = stalled()), idleMs);
        try {
          r = await Promise.race([reader.read(), aborted]);
        } catch (e) {
          if (policy.signal?.aborted) throw policy.signal.reason;
          if (lateError) throw lateError;
          throw new TransferError(
            `response broke off after ${loaded}${total === undefined ? "" : ` of ${total}`} ` +
              `bytes (${(e as Error).message})`,
            false,
            { cause: e },
          );
        } finally {
          clearTimeout(timer);
        }
        if (r.done) {
          finished = true;
          break;
        }
        loaded += r.value.length;
        if (loaded > bound) {
          if (total === undefined) throw tooBig(loaded, true);
          throw new TransferError(
            `response is longer than its ${
              linked !== undefined ? "X-Linked-Size" : "Content-Length"
            } ${total}`,
            false,
          );
        }
        if (whole) whole.set(r.value, loaded - r.value.length);
        else parts.push(r.value);
        try {
          options.onProgress?.(loaded, total);
        } catch {
          // A progress display that throws must not break the download.
        }
        yield r.value;
      }
    } finally {
      // Stopped early (an error, or the sink gave up): free the connection.
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    if (total !== undefined && loaded !== total) {
      throw new TransferError(`response cut short: ${loaded} of ${total} bytes`, false);
    }
    await verify(whole ?? concat(parts, loaded));
  }
  let body: Uint8Array | undefined;
  const finish = (b: Uint8Array): void => {
    body = b;
  };
  const verify = async (b: Uint8Array): Promise<void> => {
    const sha = opened.linkedEtag;
    if (sha !== undefined && /^[0-9a-f]{64}$/i.test(sha)) {
      const got = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource)));
      if (got !== sha.toLowerCase()) {
        throw new TransferError(
          `content has sha256 ${got}, the Hub's X-Linked-Etag says ${sha.toLowerCase()}`,
          false,
        );
      }
    }
    const problem = options.check?.(b, res.headers.get("content-type"));
    if (problem !== undefined) throw new DownloadCheckError(`refused content: ${problem}`);
    finish(b);
  };
  if (options.sink) await options.sink(chunks());
  else for await (const _ of chunks());
  if (body === undefined) throw new Error(`the sink of ${url} stopped before the body ended`);
  return body;
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

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
