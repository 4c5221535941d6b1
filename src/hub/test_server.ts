/**
 * Test helpers (not part of the library): a local server on 127.0.0.1 that serves
 * tests/fixtures/models/* in the Hub's URL layout, and a raw server whose answers are cut short.
 * Never touches the internet.
 * @module
 */

/** The fixture models folder. */
export const FIXTURE_MODELS = new URL("../../tests/fixtures/models/", import.meta.url);

/** A running fixture server. */
export interface FixtureServer {
  /** e.g. "http://127.0.0.1:41234" */
  readonly origin: string;
  /** Requests seen, as "METHOD /path". */
  readonly requests: string[];
  /** Authorization headers seen, in order (null when absent). */
  readonly authorizations: (string | null)[];
  /** How many requests matched "METHOD /path". */
  count(method: string, path: string): number;
  /** Stops the server and waits until it is closed. */
  close(): Promise<void>;
}

/** Options of {@link startFixtureServer}. */
export interface FixtureServerOptions {
  /** Answer 503 this many times per path before serving it. Default 0. */
  failFirst?: number;
  /** Delay each answer by this many ms (lets concurrent requests overlap). Default 0. */
  delayMs?: number;
  /** Answer the Hub's file list, `/api/models/{org}/{name}/revision/{rev}`. Default false. */
  listFiles?: boolean;
}

async function siblingsOf(dir: URL, prefix = ""): Promise<{ rfilename: string }[]> {
  const out: { rfilename: string }[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...await siblingsOf(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else out.push({ rfilename: `${prefix}${e.name}` });
  }
  return out;
}

/**
 * Serves `/{org}/{name}/resolve/{revision}/{file}` (any org and revision; `name` is a fixture
 * folder), `/raw/{name}/{file}` (base-URL layout), and `/denied/...` (401).
 * @param options failures and delays to inject
 * @returns the running server
 */
export function startFixtureServer(options: FixtureServerOptions = {}): FixtureServer {
  const requests: string[] = [];
  const authorizations: (string | null)[] = [];
  const failures = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push(`${req.method} ${path}`);
    authorizations.push(req.headers.get("authorization"));
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const seen = failures.get(path) ?? 0;
    if (seen < (options.failFirst ?? 0)) {
      failures.set(path, seen + 1);
      return new Response("busy", { status: 503 });
    }
    if (path.startsWith("/denied/")) return new Response("no", { status: 401 });
    const api = path.match(/^\/api\/models\/[^/]+\/([^/]+)\/revision\/[^/]+$/);
    if (api && options.listFiles && !api[1].includes("..")) {
      try {
        return Response.json({ siblings: await siblingsOf(new URL(`${api[1]}/`, FIXTURE_MODELS)) });
      } catch {
        return new Response("Repository not found", { status: 404 });
      }
    }
    const hub = path.match(/^\/[^/]+\/([^/]+)\/resolve\/[^/]+\/(.+)$/);
    const raw = path.match(/^\/raw\/([^/]+)\/(.+)$/);
    const m = hub ?? raw;
    if (!m || m[1].includes("..") || m[2].split("/").includes("..")) {
      return new Response("not found", { status: 404 });
    }
    const file = new URL(`${m[1]}/${decodeURIComponent(m[2])}`, FIXTURE_MODELS);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await Deno.readFile(file);
    } catch {
      return new Response("not found", { status: 404 });
    }
    return new Response(req.method === "HEAD" ? null : bytes, {
      headers: { "content-length": String(bytes.length) },
    });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    requests,
    authorizations,
    count: (method, p) => requests.filter((r) => r === `${method} ${p}`).length,
    close: () => server.shutdown(),
  };
}

/** A raw server that promises more bytes than it sends, then hangs up. */
export interface TruncatingServer {
  /** e.g. "http://127.0.0.1:41234" */
  readonly origin: string;
  /** Connections answered. */
  readonly answered: () => number;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a server that answers every request with `Content-Length: declared` and only `sent`
 * bytes of body, then closes the connection.
 * @param declared the Content-Length it claims
 * @param sent the bytes it sends
 * @returns the running server
 */
export function startTruncatingServer(declared: number, sent: number): TruncatingServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let answered = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      try {
        await conn.read(buf);
        const head = `HTTP/1.1 200 OK\r\nContent-Length: ${declared}\r\n` +
          `Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n`;
        await conn.write(new TextEncoder().encode(head));
        await conn.write(new Uint8Array(sent).fill(7));
        answered++;
      } catch {
        // the client gave up first
      } finally {
        conn.close();
      }
    }
  })();
  return {
    origin: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    answered: () => answered,
    close: async () => {
      listener.close();
      await loop.catch(() => {});
    },
  };
}

/** A server whose every answer a test scripts. */
export interface ScriptedServer {
  /** e.g. "http://127.0.0.1:41234" */
  readonly origin: string;
  /** Requests seen, as "METHOD /path". */
  readonly requests: string[];
  /** Authorization headers seen, in order (null when absent). */
  readonly authorizations: (string | null)[];
  /** Resolves when the server closes: stalled answers wait on it. */
  readonly closing: Promise<void>;
  /** Releases every stalled answer, stops the server and waits until it is closed. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 that answers with `handler` (which may wait on `closing` to
 * stall, or return endless bodies).
 * @param handler the answer to each request
 * @returns the running server
 */
export function startScriptedServer(
  handler: (req: Request, path: string, closing: Promise<void>) => Response | Promise<Response>,
): ScriptedServer {
  const requests: string[] = [];
  const authorizations: (string | null)[] = [];
  let release = (): void => {};
  const closing = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(`${req.method} ${path}`);
    authorizations.push(req.headers.get("authorization"));
    return handler(req, path, closing);
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    requests,
    authorizations,
    closing,
    close: () => {
      release();
      return server.shutdown();
    },
  };
}

/**
 * A body that sends `head` bytes, then waits for `until` before ending.
 * @param head bytes sent at once
 * @param until when to end
 * @returns the stream
 */
export function stallingBody(head: Uint8Array, until: Promise<void>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(head);
    },
    async pull(c) {
      await until;
      c.close();
    },
  });
}

/**
 * A body that never ends; `sent()` says how many bytes it produced before the client let go.
 * @param chunk the chunk repeated
 * @returns the stream and its byte counter
 */
export function endlessBody(
  chunk = new Uint8Array(64 * 1024).fill(0x20),
): { body: ReadableStream<Uint8Array>; sent: () => number } {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += chunk.length;
      c.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { body, sent: () => sent };
}
