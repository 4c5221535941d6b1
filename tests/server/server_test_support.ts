/**
 * What the server tests share: a caption server on a free loopback port (the real pipeline on a
 * fixture model, or a scripted model whose timing the test controls), and small request helpers.
 * @module
 */
import { ImageDecodeError } from "../../src/errors.ts";
import type { RgbImage } from "../../src/image/rgb_image.ts";
import { pipeline } from "../../src/pipeline/image_to_text.ts";
import type { CaptionOptions, CaptionResult } from "../../src/pipeline/image_to_text.ts";
import { defaultGenerationConfig } from "../../src/config/generation_config.ts";
import { type CaptionServer, createCaptionServer } from "../../src/server/handler.ts";
import type { ServerLimits } from "../../src/server/limits.ts";
import { type ServerModel, serverModelFromPipeline } from "../../src/server/server_model.ts";
import { imagePath, modelDir } from "../support/goldens.ts";

/** A running server. */
export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  app: CaptionServer;
  /** Drains the app, shuts the listener down and frees the model. */
  close(): Promise<void>;
}

/**
 * Serves a model on 127.0.0.1 and a free port.
 * @param model the model
 * @param limits limits for the test
 * @param dispose frees the model at close
 * @returns the running server
 */
export function serve(
  model: ServerModel,
  limits: Partial<ServerLimits> = {},
  dispose: () => Promise<void> = () => Promise.resolve(),
): TestServer {
  const app = createCaptionServer(model, { limits, log: () => {} });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    app,
    close: async () => {
      await app.drain();
      await server.shutdown();
      await dispose();
    },
  };
}

/**
 * Serves a fixture model through the real pipeline.
 * @param name fixture model name
 * @param limits limits for the test
 * @returns the running server
 */
export async function serveFixture(
  name: string,
  limits: Partial<ServerLimits> = {},
): Promise<TestServer> {
  const p = await pipeline("image-to-text", modelDir(name), { maxPixels: limits.maxPixels });
  return serve(serverModelFromPipeline(p, name), limits, () => p.dispose());
}

/**
 * Bytes of a fixture image.
 * @param name file name
 * @returns its bytes
 */
export function imageBytes(name: string): Uint8Array<ArrayBuffer> {
  return Deno.readFileSync(imagePath(name));
}

/**
 * POSTs raw image bytes.
 * @param url server base URL
 * @param bytes the body
 * @param query generation options as query parameters
 * @param init more fetch options (signal, headers)
 * @returns the response
 */
export function postRaw(
  url: string,
  bytes: Uint8Array<ArrayBuffer>,
  query = "",
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${url}/v1/caption${query}`, {
    method: "POST",
    body: bytes,
    headers: { "content-type": "image/png" },
    ...init,
  });
}

/**
 * POSTs images as multipart with an options part.
 * @param url server base URL
 * @param images name -> bytes, in order
 * @param options the JSON options part (omitted when undefined)
 * @returns the response
 */
export function postMultipart(
  url: string,
  images: [string, Uint8Array<ArrayBuffer>][],
  options?: Record<string, unknown>,
): Promise<Response> {
  const form = new FormData();
  for (const [name, bytes] of images) form.append("image", new File([bytes], name));
  if (options) form.append("options", JSON.stringify(options));
  return fetch(`${url}/v1/caption`, { method: "POST", body: form });
}

/**
 * Reads a JSON error answer and checks its shape.
 * @param r the response
 * @returns the error's code and message
 */
export async function errorOf(r: Response): Promise<{ code: string; message: string }> {
  if (!r.headers.get("content-type")?.startsWith("application/json")) {
    throw new Error(`status ${r.status} without a JSON body: ${await r.text()}`);
  }
  const body = await r.json();
  const e = body?.error;
  if (!e || typeof e.code !== "string" || typeof e.message !== "string") {
    throw new Error(`not an {"error": {code, message}} body: ${JSON.stringify(body)}`);
  }
  return e;
}

/** A model whose caption() takes a set time and records what it was given. */
export class ScriptedModel implements ServerModel {
  readonly id = "scripted";
  readonly generationConfig = {
    ...defaultGenerationConfig(),
    decoder_start_token_id: 2,
    eos_token_id: 2,
    pad_token_id: 1,
  };
  readonly backend = { device: "wasm", report: [] };
  /** Batch sizes of the calls, in order. */
  readonly calls: number[] = [];
  /** Calls stopped by their signal. */
  aborted = 0;
  /** Calls running now. */
  running = 0;

  /** @param delayMs how long each caption() call takes */
  constructor(public delayMs = 0) {}

  /** Any non-empty bytes "decode" to a 1x1 image whose red value is the first byte. */
  load(bytes: Uint8Array): Promise<RgbImage> {
    if (bytes[0] === 0xff && bytes[1] === 0) {
      return Promise.reject(new ImageDecodeError("scripted: not an image"));
    }
    return Promise.resolve({ width: 1, height: 1, data: new Uint8Array([bytes[0], 0, 0]) });
  }

  /** Waits delayMs (abortable), then answers each image with [2, 100 + red, 2]. */
  async caption(images: RgbImage[], options: CaptionOptions): Promise<CaptionResult[]> {
    this.calls.push(images.length);
    this.running++;
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.delayMs);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          this.aborted++;
          reject(options.signal!.reason);
        }, { once: true });
      });
    } finally {
      this.running--;
    }
    return images.map((im) => ({
      sequences: [{ text: `red ${im.data[0]}`, tokenIds: [2, 100 + im.data[0], 2], score: null }],
    }));
  }

  /** Ids joined as text. */
  decode(ids: number[]): string {
    return ids.join(" ");
  }
}

/**
 * Waits until a condition holds (polling), failing after a while.
 * @param what description for the failure
 * @param ok the condition
 * @param timeoutMs how long to wait
 */
export async function waitFor(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
