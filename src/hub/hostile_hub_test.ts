import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import type { DownloadProgress } from "./remote_files.ts";
import { resolveModelFiles, type ResolveModelFilesOptions } from "./resolve_model_files.ts";
import {
  endlessBody,
  FIXTURE_MODELS,
  type ScriptedServer,
  stallingBody,
  startFixtureServer,
  startScriptedServer,
} from "./test_server.ts";

// A misbehaving Hub on 127.0.0.1, one class of misbehaviour per test. Every test bounds its
// time, bounds what the server had to send (the client's memory), and checks that the cache
// holds no temporary, partial or poisoned file afterwards.

const MiB = 1024 * 1024;
const enc = new TextEncoder();
const CONFIG = `{"model_type": "vision-encoder-decoder"}`;

async function filesUnder(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const full = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...await filesUnder(full, root));
      else out.push(full.slice(root.length + 1));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

/** Runs `fn` with a fresh cache, a scripted server and small limits, within `ms`. */
async function hostile(
  handler: (req: Request, path: string, closing: Promise<void>) => Response | Promise<Response>,
  fn: (ctx: {
    server: ScriptedServer;
    cache: string;
    open: (extra?: ResolveModelFilesOptions) => ReturnType<typeof resolveModelFiles>;
    cached: () => Promise<string[]>;
  }) => Promise<void>,
  ms = 5000,
): Promise<void> {
  const cache = await Deno.makeTempDir({ prefix: "vedge-hostile-" });
  const server = startScriptedServer(handler);
  const t0 = performance.now();
  try {
    await fn({
      server,
      cache,
      open: (extra = {}) =>
        resolveModelFiles("org/m", {
          endpoint: server.origin,
          cacheDir: cache,
          retries: 1,
          retryDelayMs: 1,
          headersTimeoutMs: 300,
          idleTimeoutMs: 300,
          readLimits: { json: 1 * MiB, onnx: 4 * MiB, weights: 4 * MiB },
          ...extra,
        }),
      cached: () => filesUnder(`${cache}/hub/models--org--m/main`),
    });
    const took = performance.now() - t0;
    assert.ok(took < ms, `took ${took.toFixed(0)} ms, bound ${ms}`);
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
}

const rejectsWith = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ModelLoadError, String(e));
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
};

Deno.test("a server that never sends headers times out (each attempt) and caches nothing", async () => {
  await hostile((_r, _p, closing) => closing.then(() => new Response("late")), async (t) => {
    const files = await t.open();
    await rejectsWith(
      files.read("config.json"),
      /^Cannot load config\.json from org\/m: no response within 300 ms at .*config\.json \(after 2 attempts\)$/,
    );
    assert.equal(t.server.requests.length, 2);
    assert.deepEqual(await t.cached(), []);
  });
});

Deno.test("a body that stalls half way times out and leaves no temp file", async () => {
  await hostile(
    (_r, _p, closing) =>
      new Response(stallingBody(enc.encode(`{"model_type":`), closing), {
        headers: { "content-length": "100" },
      }),
    async (t) => {
      await rejectsWith(
        (await t.open()).read("config.json"),
        /no data for 300 ms after 14 bytes at .*\(after 2 attempts\)$/,
      );
      assert.deepEqual(await t.cached(), []);
    },
  );
});

Deno.test("an endless body stops at the kind's limit, without a Content-Length", async () => {
  let sent = (): number => 0;
  await hostile(() => {
    const e = endlessBody();
    sent = e.sent;
    return new Response(e.body);
  }, async (t) => {
    await rejectsWith(
      (await t.open()).read("config.json"),
      /the body grew past 1\.0 MiB \(1048576 bytes\), the limit for json files \(option readLimits\.json\)/,
    );
    // What the socket buffers take ahead of the client is all the server gets to send.
    assert.ok(sent() < 16 * MiB, `server sent ${sent()} bytes`);
    assert.equal(t.server.requests.length, 1, "a refused body is not retried");
    assert.deepEqual(await t.cached(), []);
  });
});

Deno.test("a declared size over the limit is refused before the body is read", async () => {
  await hostile(
    () => new Response(new Uint8Array(10), { headers: { "x-linked-size": String(5 * MiB) } }),
    async (t) => {
      await rejectsWith(
        (await t.open()).read("onnx/encoder_model.onnx"),
        /server announces 5\.0 MiB .* over 4\.0 MiB .*readLimits\.onnx/,
      );
      assert.deepEqual(await t.cached(), []);
    },
  );
});

Deno.test("a gzip bomb is bounded by the limit of the decoded bytes", async () => {
  // 64 MiB of spaces, gzipped to about 64 KiB.
  const zeros = new Blob([new Uint8Array(64 * MiB).fill(0x20)]).stream();
  const bomb = new Uint8Array(
    await new Response(zeros.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
  await hostile(
    () => new Response(bomb, { headers: { "content-encoding": "gzip" } }),
    async (t) => {
      // vedge asks for identity: Deno's fetch then hands over the gzip bytes undecoded.
      await rejectsWith((await t.open()).read("config.json"), /config\.json is not UTF-8 text/);
      // A fetch that asks for gzip decodes it: the decoded bytes are counted and cut off.
      const gzipFetch: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        headers.delete("accept-encoding");
        return fetch(input, { ...init, headers });
      };
      await rejectsWith(
        (await t.open({ fetch: gzipFetch })).read("config.json"),
        /the body grew past 1\.0 MiB/,
      );
      assert.ok(t.server.requests.length === 2, "refused content is not retried");
      assert.deepEqual(await t.cached(), []);
    },
    10_000,
  );
});

Deno.test("a redirect loop stops after 10 redirects with a clear error", async () => {
  await hostile(
    (_r, path) => new Response(null, { status: 302, headers: { location: path } }),
    async (t) => {
      await rejectsWith(
        (await t.open()).read("config.json"),
        /too many redirects \(more than 10, last to \/org\/m\/resolve\/main\/config\.json\)/,
      );
      assert.equal(t.server.requests.length, 11);
      assert.deepEqual(await t.cached(), []);
    },
  );
});

Deno.test("redirects to another origin carry no token; X-Linked-Size and sha256 are checked", async () => {
  const good = await Deno.readFile(new URL("trocr/onnx/encoder_model.onnx", FIXTURE_MODELS));
  const sha = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", good)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  let body: Uint8Array = good;
  const cdn = startScriptedServer(() => new Response(body as BodyInit));
  try {
    await hostile((_r, path) =>
      new Response(null, {
        status: 302,
        headers: {
          location: `${cdn.origin}/blob${path}`,
          "x-linked-size": String(good.length),
          "x-linked-etag": `"${sha}"`,
        },
      }), async (t) => {
      const files = await t.open({ token: "secret" });
      body = good.slice();
      body[100] ^= 1; // same size, wrong hash
      await rejectsWith(
        files.read("onnx/encoder_model.onnx"),
        new RegExp(`content has sha256 [0-9a-f]{64}, the Hub's X-Linked-Etag says ${sha}`),
      );
      body = good.subarray(0, 1000);
      await rejectsWith(
        (await t.open()).read("onnx/encoder_model.onnx"),
        new RegExp(`response cut short: 1000 of ${good.length} bytes|disagrees with`),
      );
      assert.deepEqual(await t.cached(), []);
      body = good;
      assert.deepEqual(
        await (await t.open({ token: "secret" })).read("onnx/encoder_model.onnx"),
        good,
      );
      assert.deepEqual(await t.cached(), ["onnx/encoder_model.onnx"]);
      assert.ok(t.server.authorizations.every((a) => a === null || a === "Bearer secret"));
      assert.ok(t.server.authorizations.includes("Bearer secret"));
      assert.ok(cdn.authorizations.every((a) => a === null), "no token sent to the CDN");
    });
  } finally {
    await cdn.close();
  }
});

Deno.test("an HTML page, garbage or an empty body with status 200 never enters the cache; the fixed server is used", async () => {
  const onnx = await Deno.readFile(new URL("trocr/onnx/encoder_model.onnx", FIXTURE_MODELS));
  const st = await Deno.readFile(new URL("trocr/model.safetensors", FIXTURE_MODELS));
  const good: Record<string, Uint8Array> = {
    "config.json": enc.encode(CONFIG),
    "onnx/encoder_model.onnx": onnx,
    "model.safetensors": st,
  };
  const bad: [string, Uint8Array | null, RegExp][] = [
    ["html", enc.encode("<!DOCTYPE html><html><body>Bad gateway</body></html>"), /an HTML page/],
    [
      "garbage",
      crypto.getRandomValues(new Uint8Array(3000)),
      /not (UTF-8|an ONNX|a safetensors)|not valid JSON/,
    ],
    ["empty", null, /is empty/],
  ];
  let mode = "html";
  await hostile((_r, path) => {
    const file = path.split("/resolve/main/")[1];
    const b = mode === "good" ? good[file] : bad.find(([m]) => m === mode)![1];
    return new Response(b as BodyInit | null, {
      headers: { "content-type": "application/octet-stream" },
    });
  }, async (t) => {
    for (const [m, , re] of bad) {
      mode = m;
      for (const file of Object.keys(good)) {
        await rejectsWith((await t.open()).read(file), re);
      }
      assert.deepEqual(await t.cached(), [], `after ${m}`);
    }
    mode = "good";
    const files = await t.open();
    for (const [file, bytes] of Object.entries(good)) {
      assert.deepEqual(await files.read(file), bytes);
    }
    assert.deepEqual(await t.cached(), Object.keys(good).sort());
  });
});

Deno.test("a poisoned cache entry is removed and fetched again; offline it is an error, never used", async () => {
  const server = startFixtureServer();
  const cache = await Deno.makeTempDir({ prefix: "vedge-poison-" });
  const dir = `${cache}/hub/models--fixtures--trocr/main`;
  try {
    await Deno.mkdir(`${dir}/onnx`, { recursive: true });
    await Deno.writeFile(`${dir}/config.json`, enc.encode("<html>502 Bad Gateway</html>"));
    const off = await resolveModelFiles("fixtures/trocr", { cacheDir: cache, offline: true });
    await rejectsWith(
      off.read("config.json"),
      /the cached copy was corrupt \(an HTML page, not config\.json\) and was removed; offline mode/,
    );
    assert.deepEqual(await filesUnder(cache), []);
    await Deno.writeFile(`${dir}/config.json`, enc.encode("<html>502 Bad Gateway</html>"));
    await Deno.writeFile(`${dir}/onnx/encoder_model.onnx`, new Uint8Array(0));
    const on = await resolveModelFiles("fixtures/trocr", {
      cacheDir: cache,
      endpoint: server.origin,
    });
    const want = await Deno.readFile(new URL("trocr/config.json", FIXTURE_MODELS));
    assert.deepEqual(await on.read("config.json"), want);
    const onnx = await Deno.readFile(new URL("trocr/onnx/encoder_model.onnx", FIXTURE_MODELS));
    assert.deepEqual(await on.read("onnx/encoder_model.onnx"), onnx);
    assert.deepEqual(await Deno.readFile(`${dir}/config.json`), want);
    assert.deepEqual(await filesUnder(cache), [
      "hub/models--fixtures--trocr/main/config.json",
      "hub/models--fixtures--trocr/main/onnx/encoder_model.onnx",
    ]);
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("with the server gone, a cached model loads: optional files not cached count as absent", async () => {
  const server = startFixtureServer();
  const cache = await Deno.makeTempDir({ prefix: "vedge-gone-" });
  try {
    const opts = { cacheDir: cache, endpoint: server.origin, retries: 0 };
    const first = await resolveModelFiles("fixtures/trocr", opts);
    const config = await first.read("config.json");
    await server.close();
    const t0 = performance.now();
    const again = await resolveModelFiles("fixtures/trocr", opts);
    assert.deepEqual(await again.read("config.json"), config);
    assert.equal(await again.has("onnx/decoder_model.onnx"), false);
    assert.equal(await again.has("onnx/decoder_model_merged.onnx"), false);
    assert.equal(await again.has("config.json"), true);
    await rejectsWith(
      again.read("tokenizer.json"),
      /^Cannot load tokenizer\.json from fixtures\/trocr: server unreachable \(network error .*\), and the file is not in the cache$/,
    );
    assert.ok(performance.now() - t0 < 3000);
    assert.deepEqual(await filesUnder(cache), ["hub/models--fixtures--trocr/main/config.json"]);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("onProgress reports {file, loaded, total} per chunk, total from X-Linked-Size", async () => {
  const data = new Uint8Array(300_000).fill(0x20);
  data[0] = 0x7b;
  data[data.length - 1] = 0x7d; // "{   ...   }"
  await hostile(
    () => new Response(data, { headers: { "x-linked-size": String(data.length) } }),
    async (t) => {
      const events: DownloadProgress[] = [];
      await (await t.open({ onProgress: (e) => events.push(e) })).read("config.json");
      assert.ok(events.length >= 1);
      assert.ok(events.every((e) => e.file === "config.json" && e.total === data.length));
      assert.equal(events.at(-1)!.loaded, data.length);
      for (let i = 1; i < events.length; i++) assert.ok(events[i].loaded > events[i - 1].loaded);
    },
  );
});

Deno.test("a folder model whose files are a FIFO or /dev/zero fails at once, naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vedge-hostile-folder-" });
  try {
    await Deno.symlink("/dev/zero", `${dir}/config.json`);
    await Deno.mkdir(`${dir}/onnx`);
    const mk = await new Deno.Command("mkfifo", { args: [`${dir}/onnx/encoder_model.onnx`] })
      .output();
    assert.equal(mk.code, 0);
    await Deno.writeFile(`${dir}/tokenizer.json`, new Uint8Array(2000).fill(0x20));
    const files = await resolveModelFiles(dir, { readLimits: { tokenizer: 1000 } });
    const t0 = performance.now();
    assert.equal(await files.has("config.json"), true, "present, so that reading says what it is");
    await rejectsWith(
      files.read("config.json"),
      /^Cannot load config\.json from .*: Cannot read .*config\.json: it is a character device, not a regular file$/,
    );
    await rejectsWith(
      files.read("onnx/encoder_model.onnx"),
      /it is a FIFO \(named pipe\), not a regular file/,
    );
    await rejectsWith(
      files.read("tokenizer.json"),
      /2000 bytes\) exceeds 1000 bytes, the limit for tokenizer files \(option readLimits\.tokenizer\)/,
    );
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
