/**
 * One HTTP request as the Hub client sends it: redirects followed by hand (counted, capped,
 * Authorization dropped when they leave the origin, the Hub's `X-Linked-Size` / `X-Linked-Etag`
 * collected on the way), a deadline for the response headers, and a per-attempt AbortController
 * that the body reader's idle timer can fire.
 * @module
 */

/** Settings shared by every request of one source. */
export interface HttpPolicy {
  /** The fetch to use. */
  fetch: typeof fetch;
  /** Extra request headers (Authorization). */
  headers: Record<string, string>;
  /** Retries after the first attempt (network errors, timeouts, cut-short bodies, 5xx). */
  retries: number;
  /** Delay before the first retry; doubles after each. */
  retryDelayMs: number;
  /** Cancels requests and waits. */
  signal?: AbortSignal;
  /**
   * Time allowed from sending a request to its response headers, connecting included (fetch
   * has no separate connect event). Default {@link DEFAULT_HEADERS_TIMEOUT_MS}.
   */
  headersTimeoutMs?: number;
  /** Longest pause allowed between two body chunks. Default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
  /** Redirects followed per request before giving up. Default {@link DEFAULT_MAX_REDIRECTS}. */
  maxRedirects?: number;
}

/** huggingface_hub waits 10 s (HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT); so do we. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** requests' read timeout as huggingface_hub sets it. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** The Hub needs one (resolve -> CDN); a few more for mirrors. */
export const DEFAULT_MAX_REDIRECTS = 10;

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

/**
 * A transfer failed in the network, timed out or was cut short: worth retrying. `noResponse`
 * is true when no server answered at all (refused, unreachable, no headers in time): the
 * caller may then fall back to its cache.
 */
export class TransferError extends Error {
  /** No response arrived. */
  readonly noResponse: boolean;
  /** @param message what happened @param noResponse no server answered @param options cause */
  constructor(message: string, noResponse: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransferError";
    this.noResponse = noResponse;
  }
}

/** The response arrived but is refused (too large, wrong size, wrong hash, wrong content). */
export class DownloadCheckError extends Error {
  /** @param message what is wrong @param options cause */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DownloadCheckError";
  }
}

/** A response, once the redirects are behind it. */
export interface OpenedResponse {
  /** The final response. */
  response: Response;
  /** The URL that answered. */
  url: string;
  /** The Hub's `X-Linked-Size` (an LFS file's real size), from any hop. */
  linkedSize?: number;
  /** The Hub's `X-Linked-Etag` (an LFS file's sha256), unquoted, from any hop. */
  linkedEtag?: string;
  /** Aborts this attempt (the body's idle timer uses it). */
  abort(reason: Error): void;
  /** This attempt's signal: aborted by the caller's signal, a deadline or `abort`. */
  signal: AbortSignal;
  /** Stops listening to the caller's signal; call when the body is done with. */
  release(): void;
}

/**
 * Runs `fn` with a deadline: when it passes, `onLate` fires (it aborts the request).
 * @param ms the deadline
 * @param onLate what to do then
 * @param fn the work
 * @returns what `fn` returns
 */
async function withDeadline<T>(ms: number, onLate: () => void, fn: () => Promise<T>): Promise<T> {
  const timer = setTimeout(onLate, ms);
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends a request and follows redirects by hand.
 * @param url the URL
 * @param method "GET" or "HEAD"
 * @param policy fetch, headers, timeouts, redirect cap, signal
 * @param follow whether to follow redirects (false: a 3xx is the answer)
 * @returns the final response and what the hops said
 */
export async function openResponse(
  url: string,
  method: "GET" | "HEAD",
  policy: HttpPolicy,
  follow = true,
): Promise<OpenedResponse> {
  const ctrl = new AbortController();
  const outer = policy.signal;
  const onOuter = (): void => ctrl.abort(outer?.reason);
  if (outer?.aborted) throw outer.reason;
  outer?.addEventListener("abort", onOuter, { once: true });
  const headersMs = policy.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const maxRedirects = policy.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const origin = new URL(url).origin;
  let at = url;
  let linkedSize: number | undefined;
  let linkedEtag: string | undefined;
  let redirect: RequestRedirect = "manual";
  try {
    for (let hop = 0;; hop++) {
      const headers: Record<string, string> = { "accept-encoding": "identity" };
      // Credentials never follow a redirect to another origin (the CDN needs none).
      if (new URL(at).origin === origin) Object.assign(headers, policy.headers);
      let res: Response;
      const late = new TransferError(`no response within ${headersMs} ms`, true);
      try {
        res = await withDeadline(
          headersMs,
          () => ctrl.abort(late),
          () => policy.fetch(at, { method, headers, redirect, signal: ctrl.signal }),
        );
      } catch (e) {
        if (outer?.aborted) throw outer.reason;
        if (ctrl.signal.reason === late) throw late;
        throw new TransferError(`network error (${(e as Error).message})`, true, { cause: e });
      }
      const size = Number(res.headers.get("x-linked-size") ?? NaN);
      if (linkedSize === undefined && Number.isSafeInteger(size) && size >= 0) linkedSize = size;
      const etag = res.headers.get("x-linked-etag");
      if (linkedEtag === undefined && etag) linkedEtag = etag.replace(/^W\//, "").replace(/"/g, "");
      if (res.type === "opaqueredirect") {
        // A browser hides manual redirects: let it follow them (it caps them at 20 itself).
        if (!follow) return { response: res, url: at, linkedSize, linkedEtag, ...control(ctrl) };
        redirect = "follow";
        hop--;
        continue;
      }
      const location = res.headers.get("location");
      if (!follow || res.status < 300 || res.status >= 400 || location === null) {
        return { response: res, url: at, linkedSize, linkedEtag, ...control(ctrl) };
      }
      await res.body?.cancel().catch(() => {});
      if (hop >= maxRedirects) {
        throw new DownloadCheckError(
          `too many redirects (more than ${maxRedirects}, last to ${location})`,
        );
      }
      const next = new URL(location, at);
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new DownloadCheckError(`refusing a redirect to ${next.protocol} (${next.href})`);
      }
      at = next.href;
    }
  } catch (e) {
    outer?.removeEventListener("abort", onOuter);
    throw e;
  }

  function control(c: AbortController): Pick<OpenedResponse, "abort" | "signal" | "release"> {
    return {
      abort: (reason) => c.abort(reason),
      signal: c.signal,
      release: () => outer?.removeEventListener("abort", onOuter),
    };
  }
}
