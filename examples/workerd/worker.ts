/**
 * A Cloudflare Worker that captions images with vedge: `POST /v1/caption` (image bytes in,
 * JSON out; see examples/shared/caption_handler.ts). The model comes over HTTP from the
 * `VEDGE_MODEL` binding (an http(s) base URL of a Hub-layout folder, or a Hub id); WASM, one
 * thread. `deno task build workerd` bundles this file to dist/workerd/worker.js with the
 * onnxruntime and codec .wasm files imported as modules beside it.
 * @module
 */
import { pipeline } from "../../mod.ts";
import { createCaptionHandler } from "../shared/caption_handler.ts";

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
    handler ??= createCaptionHandler({
      load: () =>
        pipeline("image-to-text", env.VEDGE_MODEL ?? "Xenova/vit-gpt2-image-captioning", {
          device: "wasm",
        }),
    });
    return handler(request);
  },
};
