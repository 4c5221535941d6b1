/**
 * The edge examples' request handler: vedge's caption server (src/server: `POST /v1/caption`,
 * `GET /healthz`, `GET /v1/model`, limits as JSON errors, dynamic batching), built on the first
 * request so a cold instance starts listening at once. A model that fails to load answers 503
 * with the reason, and the next request tries again.
 * @module
 */
import {
  createCaptionServer,
  pipeline,
  type PipelineOptions,
  type ServerLimits,
  serverModelFromPipeline,
} from "../../mod.ts";

/**
 * A fetch handler that loads the model once, on first use.
 * @param model the model source (folder, http(s) base URL or Hub id)
 * @param options pipeline options and server limits
 * @returns the handler
 */
export function lazyCaptionServer(
  model: string,
  options: { pipeline?: PipelineOptions; limits?: Partial<ServerLimits> } = {},
): (request: Request) => Promise<Response> {
  let server: Promise<ReturnType<typeof createCaptionServer>> | undefined;
  return async (request) => {
    server ??= pipeline("image-to-text", model, options.pipeline).then((p) =>
      createCaptionServer(serverModelFromPipeline(p, model), { limits: options.limits })
    );
    try {
      return (await server).fetch(request);
    } catch (e) {
      server = undefined;
      const message = e instanceof Error ? e.message : String(e);
      return Response.json({ error: { code: "MODEL_UNAVAILABLE", message } }, { status: 503 });
    }
  };
}
