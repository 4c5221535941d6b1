/**
 * `deno task serve --model <...> [--port N] [--host H] [limits]`: loads the model once, serves
 * the caption handler with `Deno.serve`, and on SIGINT / SIGTERM stops accepting connections,
 * finishes every request already taken (queued ones included), frees the model and exits 0.
 * A second signal exits at once.
 * @module
 */
import { fail } from "../cli/common.ts";
import { pipeline } from "../pipeline/image_to_text.ts";
import { createCaptionServer } from "./handler.ts";
import { resolveLimits } from "./limits.ts";
import { newTokensAllowed } from "./request_options.ts";
import { parseServeArgs, SERVE_USAGE } from "./serve_args.ts";
import { serverModelFromPipeline } from "./server_model.ts";

async function main(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  if (args.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  const limits = resolveLimits(args.limits);
  const captioner = await pipeline("image-to-text", args.model, {
    ...args.pipeline,
    maxPixels: limits.maxPixels,
  });
  const model = serverModelFromPipeline(captioner, args.model);
  const defaults = newTokensAllowed(model.generationConfig);
  if (defaults > limits.maxNewTokensCap) {
    console.error(
      `vedge serve: warning: the model's defaults allow ${defaults} new tokens, over --max-new-tokens-cap ${limits.maxNewTokensCap}: requests must send max_new_tokens`,
    );
  }
  const app = createCaptionServer(model, { limits });
  const stopped = Promise.withResolvers<void>();
  const server = Deno.serve({
    hostname: args.host,
    port: args.port,
    onListen: ({ hostname, port }) => {
      console.error(
        `vedge serve: listening on http://${hostname}:${port}/ (model ${args.model}, ${model.backend.device})`,
      );
    },
  }, app.fetch);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) Deno.exit(130);
    stopping = true;
    const s = app.stats;
    console.error(
      `vedge serve: ${signal}: finishing ${s.queued + s.running} images, taking no new requests`,
    );
    Promise.all([server.shutdown(), app.drain()]).then(() => stopped.resolve());
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, () => stop(s));
  await stopped.promise;
  await server.finished;
  await captioner.dispose();
  console.error("vedge serve: stopped");
  return 0;
}

if (import.meta.main) {
  main(Deno.args).then((code) => Deno.exit(code), (e) => fail(e));
}
