/**
 * The caption server as a web-standard `Request -> Response` function (the `Deno.serve` handler
 * and the Deno Deploy entry alike; no `Deno.*` here). Routes:
 * - `POST /v1/caption`: raw image bytes or multipart (see request_body.ts); answers the CLI's
 *   `--json` object for a raw body, `{"results": [...]}` in part order for multipart.
 * - `GET /healthz`: `{"status": "ok", "queued", "running", ...}`, 503 while shutting down.
 * - `GET /v1/model`: model id, backend and its reasons, limits.
 * Every refusal is `{"error": {"code", "message"}}` with its status (http_error.ts). A request's
 * signal is its client connection plus its deadline: either one firing drops its waiting images
 * or detaches its running ones (batcher.ts).
 * @module
 */
import { eosTokenIds } from "../config/generation_config.ts";
import { ImageDecodeError } from "../errors.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import type { CaptionResult } from "../pipeline/image_to_text.ts";
import { Batcher, type BatcherStats } from "./batcher.ts";
import { captionJson } from "./caption_json.ts";
import { errorResponse, HttpError, jsonResponse } from "./http_error.ts";
import { limitsJson, resolveLimits, type ServerLimits } from "./limits.ts";
import { readCaptionUpload, type UploadedImage } from "./request_body.ts";
import { type RequestOptions, resolveRequestOptions } from "./request_options.ts";
import type { ServerModel } from "./server_model.ts";
import { unpadResult } from "./unpad.ts";

/** Options of {@link createCaptionServer}. */
export interface CaptionServerOptions {
  /** Limits and batching settings (defaults: DEFAULT_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** Where unexpected errors are reported (default console.error). */
  log?: (line: string) => void;
}

/** A caption server: its request handler and its lifecycle. */
export interface CaptionServer {
  /** Answers one request (give it to `Deno.serve`, or export it as Deploy's `fetch`). */
  fetch(request: Request): Promise<Response>;
  /** Refuses new work (503), finishes what is queued and running, resolves when idle. */
  drain(): Promise<void>;
  /** Queue counters. */
  readonly stats: BatcherStats;
  /** The limits in force. */
  readonly limits: ServerLimits;
}

interface ImageJob {
  image: RgbImage;
  options: RequestOptions;
}

/**
 * Builds a caption server around a model.
 * @param model the model (see serverModelFromPipeline)
 * @param options limits and logging
 * @returns the server
 * @example
 * ```ts ignore
 * const p = await pipeline("image-to-text", "./model");
 * const server = createCaptionServer(serverModelFromPipeline(p, "./model"));
 * Deno.serve({ port: 8080 }, server.fetch);
 * ```
 */
export function createCaptionServer(
  model: ServerModel,
  options: CaptionServerOptions = {},
): CaptionServer {
  const limits = resolveLimits(options.limits);
  const log = options.log ?? ((line: string) => console.error(line));
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  const runBatch = async (jobs: ImageJob[], signal: AbortSignal): Promise<CaptionResult[]> => {
    const { given, config } = jobs[0].options;
    const results = await model.caption(jobs.map((j) => j.image), { ...given, signal });
    if (jobs.length === 1) return results;
    const eos = eosTokenIds(config);
    return results.map((r) => unpadResult(r, eos, model.decode));
  };
  const batcher = new Batcher<ImageJob, CaptionResult>(runBatch, {
    maxBatch: limits.maxBatch,
    windowMs: limits.batchWindowMs,
    capacity: limits.queue,
    concurrency: limits.concurrency,
  });

  const decodeAll = (images: UploadedImage[]): Promise<RgbImage[]> =>
    Promise.all(images.map(async (u) => {
      try {
        return await model.load(u.bytes);
      } catch (e) {
        const code = e instanceof ImageDecodeError ? e.code : "IMAGE_DECODE";
        throw new HttpError(400, code, `image ${JSON.stringify(u.name)}: ${(e as Error).message}`);
      }
    }));

  async function caption(request: Request, signal: AbortSignal): Promise<Response> {
    if (draining) throw shuttingDown();
    if (!batcher.hasRoom(1)) throw batcher.queueFullError();
    const upload = await untilAborted(readCaptionUpload(request, limits.maxBody), signal);
    if (upload.images.length > limits.queue) {
      throw new HttpError(
        400,
        "TOO_MANY_IMAGES",
        `${upload.images.length} images in one request, over the limit of ${limits.queue}`,
      );
    }
    const options = resolveRequestOptions(upload.options, model.generationConfig, limits);
    const images = await decodeAll(upload.images);
    const jobs = images.map((image) => ({ image, options }));
    const results = await batcher.submit(jobs, options.batchKey, signal);
    const answers = results.map((r, i) => captionJson(upload.images[i].name, r));
    return jsonResponse(upload.multipart ? { results: answers } : answers[0]);
  }

  function route(request: Request, signal: AbortSignal): Promise<Response> | Response {
    const { pathname } = new URL(request.url);
    const only = (method: string): void => {
      if (request.method !== method) {
        throw new HttpError(
          405,
          "METHOD_NOT_ALLOWED",
          `${request.method} is not allowed on ${pathname}: use ${method}`,
          { allow: method },
        );
      }
    };
    switch (pathname) {
      case "/v1/caption":
        only("POST");
        return caption(request, signal);
      case "/healthz":
        only("GET");
        return jsonResponse(
          { status: draining ? "draining" : "ok", ...snakeStats(batcher.stats) },
          draining ? 503 : 200,
        );
      case "/v1/model":
        only("GET");
        return jsonResponse({
          id: model.id,
          backend: { device: model.backend.device, reasons: model.backend.report },
          limits: limitsJson(limits),
        });
      default:
        throw new HttpError(404, "NOT_FOUND", `no route for ${request.method} ${pathname}`);
    }
  }

  async function fetch(request: Request): Promise<Response> {
    inFlight++;
    // The request's own signal: its client going away, or its deadline. Listeners are removed
    // on return (Deno also aborts request.signal after a response is sent).
    const controller = new AbortController();
    let timedOut = false;
    const onClientGone = (): void =>
      controller.abort(new DOMException("client gone", "AbortError"));
    request.signal.addEventListener("abort", onClientGone, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException("deadline", "TimeoutError"));
    }, limits.timeoutMs);
    try {
      return await route(request, controller.signal);
    } catch (e) {
      if (e instanceof HttpError) return errorResponse(e);
      if (timedOut) {
        return errorResponse(
          new HttpError(504, "DEADLINE_EXCEEDED", `no answer within ${limits.timeoutMs} ms`),
        );
      }
      if (controller.signal.aborted) {
        // nobody is listening any more; the status is for logs only
        return errorResponse(new HttpError(499, "CLIENT_CLOSED", "the client went away"));
      }
      log(`vedge serve: ${request.method} ${request.url}: ${(e as Error)?.stack ?? e}`);
      return errorResponse(
        new HttpError(500, "INTERNAL", `internal error: ${(e as Error)?.message ?? e}`),
      );
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener("abort", onClientGone);
      if (--inFlight === 0 && idle) idle();
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    await batcher.drain();
    if (inFlight > 0) await new Promise<void>((resolve) => idle = resolve);
  }

  return {
    fetch,
    drain,
    limits,
    get stats() {
      return batcher.stats;
    },
  };
}

function shuttingDown(): HttpError {
  return new HttpError(503, "SHUTTING_DOWN", "the server is shutting down", {
    connection: "close",
  });
}

function snakeStats(s: BatcherStats): Record<string, number> {
  return {
    queued: s.queued,
    running: s.running,
    batches: s.batches,
    images: s.items,
    largest_batch: s.largestBatch,
  };
}

/** Rejects with the signal's reason as soon as it fires (reading a slow body, say). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
