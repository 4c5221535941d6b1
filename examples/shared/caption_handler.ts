/**
 * One HTTP handler for the edge examples (Cloudflare Worker, Deno Deploy): `POST /v1/caption`
 * with the image bytes as the body and generation options as query parameters
 * (`?num_beams=4&max_new_tokens=16`, Python's names, values as JSON) answers
 * `{"sequences": [{"text", "token_ids", "score"}], "ms"}`; `GET /healthz` answers `{"ok": true}`.
 * Bad requests get 4xx JSON `{"error", "code"}`, failures 5xx, never a crash. Only web standards
 * (Request, Response): each runtime's entry wires it to its server.
 * @module
 */
import type { CaptionOptions, ImageToTextPipeline } from "../../mod.ts";

/** Largest image body accepted. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Options of {@link createCaptionHandler}. */
export interface CaptionHandlerOptions {
  /** Loads the pipeline once, on the first caption request. */
  load: () => Promise<ImageToTextPipeline>;
  /** Largest body in bytes; default {@link MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });

/**
 * Reads generation options from query parameters.
 * @param params the URL's query
 * @returns the options (values parsed as JSON where they are JSON, else kept as strings)
 */
export function optionsFromQuery(params: URLSearchParams): CaptionOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of params) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/**
 * Builds the handler.
 * @param options how to load the pipeline, body limit
 * @returns a fetch-style handler
 */
export function createCaptionHandler(
  options: CaptionHandlerOptions,
): (request: Request) => Promise<Response> {
  let loading: Promise<ImageToTextPipeline> | undefined;
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/healthz" && request.method === "GET") return json({ ok: true });
    if (url.pathname !== "/v1/caption") return json({ error: "not found", code: "NOT_FOUND" }, 404);
    if (request.method !== "POST") {
      return json({ error: "POST the image bytes", code: "METHOD_NOT_ALLOWED" }, 405);
    }
    const declared = Number(request.headers.get("content-length") ?? NaN);
    if (declared > maxBody) {
      return json({ error: `body over ${maxBody} bytes`, code: "BODY_TOO_LARGE" }, 413);
    }
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.length > maxBody) {
      return json({ error: `body over ${maxBody} bytes`, code: "BODY_TOO_LARGE" }, 413);
    }
    if (bytes.length === 0) return json({ error: "empty body", code: "EMPTY_BODY" }, 400);
    const t0 = performance.now();
    let captioner: ImageToTextPipeline;
    try {
      captioner = await (loading ??= options.load());
    } catch (e) {
      loading = undefined;
      return json({ error: (e as Error).message, code: codeOf(e) ?? "MODEL_LOAD" }, 500);
    }
    try {
      const image = await captioner.load(bytes);
      const [result] = await captioner.caption([image], optionsFromQuery(url.searchParams));
      return json({
        sequences: result.sequences.map((s) => ({
          text: s.text,
          token_ids: s.tokenIds,
          score: s.score,
        })),
        ms: Math.round(performance.now() - t0),
      });
    } catch (e) {
      const status = e instanceof TypeError || e instanceof RangeError ||
          codeOf(e)?.startsWith("IMAGE")
        ? 400
        : 500;
      return json({ error: (e as Error).message, code: codeOf(e) ?? (e as Error).name }, status);
    }
  };
}

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}
