/**
 * The server's error answers: every refusal is `{"error": {"code", "message"}}` with the status
 * that says who is at fault (4xx the request, 5xx the server), plus headers such as `Retry-After`.
 * Codes are UPPER_SNAKE like the library's `VedgeError` codes, so clients can switch on them.
 * @module
 */
import { VedgeError } from "../errors.ts";

/** A refusal with an HTTP status and a stable code; thrown anywhere below the handler. */
export class HttpError extends VedgeError {
  /** The HTTP status code of the answer. */
  readonly status: number;
  /** Extra answer headers (e.g. `Retry-After`, `Allow`). */
  readonly headers: Record<string, string>;
  /**
   * @param status HTTP status code
   * @param code stable machine-readable code, e.g. "BODY_TOO_LARGE"
   * @param message one line naming the problem and the limit or value involved
   * @param headers extra answer headers
   */
  constructor(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * A JSON answer.
 * @param body any JSON-serialisable value
 * @param status HTTP status (default 200)
 * @param headers extra headers
 * @returns the Response
 * @example
 * ```ts
 * import { jsonResponse } from "./http_error.ts";
 * const r = jsonResponse({ status: "ok" });
 * console.assert(r.headers.get("content-type") === "application/json; charset=utf-8");
 * ```
 */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * The JSON answer of a refusal: `{"error": {"code", "message"}}`.
 * @param e the HttpError
 * @returns the Response
 * @example
 * ```ts
 * import { errorResponse, HttpError } from "./http_error.ts";
 * const r = errorResponse(new HttpError(404, "NOT_FOUND", "no route for GET /x"));
 * console.assert(r.status === 404);
 * ```
 */
export function errorResponse(e: HttpError): Response {
  return jsonResponse({ error: { code: e.code, message: e.message } }, e.status, e.headers);
}
