/**
 * The server's limits and batching settings, their defaults, and their validation. Each limit
 * maps to one refusal: body size 413, pixels 400, token and beam caps 400, queue 503, deadline 504.
 * @module
 */
import { DEFAULT_MAX_PIXELS } from "../image/decode.ts";

/** Limits and batching settings of the caption server (flag names in parentheses). */
export interface ServerLimits {
  /** Largest request body in bytes (`--max-body`); checked while the body streams in. */
  maxBody: number;
  /** Largest image in pixels (`--max-pixels`); default PIL's decompression-bomb limit. */
  maxPixels: number;
  /** Most new tokens a request may ask for, explicitly or by the model's defaults. */
  maxNewTokensCap: number;
  /** Most beams, and most returned sequences, a request may ask for (`--num-beams-cap`). */
  numBeamsCap: number;
  /** Images waiting to run, all requests together (`--queue`); more is answered 503. */
  queue: number;
  /** Most images run as one batch (`--max-batch`). */
  maxBatch: number;
  /** How long the oldest waiting image waits for companions before its batch runs. */
  batchWindowMs: number;
  /** Deadline of a request from its arrival, in ms (`--timeout-ms`); past it, 504. */
  timeoutMs: number;
  /** Batches run at the same time (`--concurrency`); more than 1 only pays with workers. */
  concurrency: number;
}

/** The defaults: a public endpoint on a small machine. */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxBody: 20 * 1024 * 1024,
  maxPixels: DEFAULT_MAX_PIXELS,
  maxNewTokensCap: 128,
  numBeamsCap: 8,
  queue: 64,
  maxBatch: 8,
  batchWindowMs: 5,
  timeoutMs: 60_000,
  concurrency: 1,
});

/**
 * Fills in defaults and checks every limit is a whole number in range.
 * @param given limits to override
 * @returns the complete limits
 * @example
 * ```ts
 * import { resolveLimits } from "./limits.ts";
 * console.assert(resolveLimits({ maxBatch: 4 }).maxBatch === 4);
 * ```
 */
export function resolveLimits(given: Partial<ServerLimits> = {}): ServerLimits {
  const out = { ...DEFAULT_LIMITS } as ServerLimits;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LIMITS)) throw new TypeError(`unknown server limit "${k}"`);
    const min = k === "batchWindowMs" ? 0 : 1;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      throw new RangeError(`server limit ${k} must be an integer >= ${min}, got ${v}`);
    }
    (out as unknown as Record<string, number>)[k] = v;
  }
  return out;
}

/**
 * The limits as `GET /v1/model` reports them (snake_case, like the rest of the HTTP API).
 * @param l the limits
 * @returns a JSON object
 */
export function limitsJson(l: ServerLimits): Record<string, number> {
  return {
    max_body_bytes: l.maxBody,
    max_pixels: l.maxPixels,
    max_new_tokens_cap: l.maxNewTokensCap,
    num_beams_cap: l.numBeamsCap,
    max_images_per_request: l.queue,
    queue: l.queue,
    max_batch: l.maxBatch,
    batch_window_ms: l.batchWindowMs,
    timeout_ms: l.timeoutMs,
    concurrency: l.concurrency,
  };
}
