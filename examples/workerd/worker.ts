/**
 * A Cloudflare Worker that captions images with vedge: `POST /v1/caption` (image bytes in,
 * JSON out: vedge's caption server, src/server). The model comes over HTTP from the
 * `VEDGE_MODEL` binding (an http(s) base URL of a Hub-layout folder, or a Hub id); WASM, one
 * thread. `deno task build workerd` bundles this file to dist/workerd/worker.js with the
 * onnxruntime and codec .wasm files imported as modules beside it.
 * @module
 */
import { lazyCaptionServer } from "../shared/lazy_server.ts";

/** The Worker's bindings. */
export interface Env {
  /** Model source: an http(s) base URL or a Hub id. */
  VEDGE_MODEL?: string;
}

let handler: ((request: Request) => Promise<Response>) | undefined;

export default {
  /**
   * Answers one request.
   * @param request the request
   * @param env the bindings
   * @returns the response
   */
  fetch(request: Request, env: Env): Promise<Response> {
    handler ??= lazyCaptionServer(env.VEDGE_MODEL ?? "Xenova/vit-gpt2-image-captioning", {
      pipeline: { device: "wasm" },
    });
    return handler(request);
  },
};
