/**
 * A Deno Deploy (or any `Deno.serve`) handler that captions images with vedge: `POST
 * /v1/caption` with the image bytes: vedge's caption server (src/server, README "HTTP server").
 *
 * ```sh
 * VEDGE_MODEL=tests/fixtures/models/vit-gpt2 deno run --allow-net --allow-read --allow-env \
 *   examples/deno-deploy/main.ts
 * curl --data-binary @tests/fixtures/images/probe.png 'http://127.0.0.1:8000/v1/caption?num_beams=4'
 * ```
 * `VEDGE_MODEL`: a folder, an http(s) base URL or a Hub id (default
 * Xenova/vit-gpt2-image-captioning); `PORT` (default 8000). On Deno Deploy the file system is
 * read-only: Hub downloads are kept in memory only (`cache: false`) unless `VEDGE_CACHE` is set.
 * @module
 */
import { lazyCaptionServer } from "../shared/lazy_server.ts";

const model = Deno.env.get("VEDGE_MODEL") ?? "Xenova/vit-gpt2-image-captioning";
const handler = lazyCaptionServer(model, {
  pipeline: { device: "wasm", cache: Deno.env.has("VEDGE_CACHE") },
});

Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 8000),
  hostname: Deno.env.get("HOST") ?? "0.0.0.0",
  onListen: ({ hostname, port }) => console.error(`listening on http://${hostname}:${port}/`),
}, handler);
