/**
 * The caption handler under Node's `http` module (also Deno's `node:http`): an
 * `(IncomingMessage, ServerResponse)` listener that builds a web-standard Request (the body
 * streamed, the signal aborted when the connection closes before the answer is written) and
 * writes the Response back.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/** A web-standard handler, such as `createCaptionServer(...).fetch`. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Wraps a web-standard handler as a Node `http` request listener.
 * @param fetch the handler
 * @returns the listener for `http.createServer`
 * @example
 * ```ts ignore
 * import http from "node:http";
 * http.createServer(nodeListener(server.fetch)).listen(8080, "127.0.0.1");
 * ```
 */
export function nodeListener(
  fetch: FetchHandler,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort(new DOMException("client gone", "AbortError"));
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const init: RequestInit & { duplex?: "half" } = {
      method: req.method,
      headers,
      signal: controller.signal,
    };
    if (hasBody) {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      init.duplex = "half";
    }
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, init);
    let response: Response;
    try {
      response = await fetch(request);
    } catch (e) {
      response = new Response(JSON.stringify({ error: { code: "INTERNAL", message: String(e) } }), {
        status: 500,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
    }
    const body = new Uint8Array(await response.arrayBuffer());
    if (res.destroyed) return;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(body);
  };
}
