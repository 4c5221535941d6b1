import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { createWebPlatform } from "../platform/web.ts";
import { readJson } from "./model_files.ts";
import type { DownloadProgress } from "./remote_files.ts";
import { resolveModelFiles } from "./resolve_model_files.ts";
import { FIXTURE_MODELS, startFixtureServer, startTruncatingServer } from "./test_server.ts";

// Every test uses its own temp cache folder and only servers on 127.0.0.1; the environment
// variables a test sets are restored after it (tests in one file run one at a time).

const fixture = (file: string): Promise<Uint8Array> =>
  Deno.readFile(new URL(`trocr/${file}`, FIXTURE_MODELS));

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const names = [
    "HF_ENDPOINT",
    "HF_TOKEN",
    "VEDGE_CACHE",
    "VEDGE_OFFLINE",
    "HF_HUB_OFFLINE",
    ...Object.keys(vars),
  ];
  const old = new Map(names.map((n) => [n, Deno.env.get(n)]));
  for (const n of names) Deno.env.delete(n);
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of old) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "vedge-hub-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const full = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...await filesUnder(full));
      else out.push(full);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

const ENC = "onnx/encoder_model.onnx";

Deno.test("a Hub id loads through HF_ENDPOINT, writes the cache, then loads from it with the server gone", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    await withEnv({ HF_ENDPOINT: server.origin }, async () => {
      const events: DownloadProgress[] = [];
      const files = await resolveModelFiles("fixtures/trocr", {
        cacheDir: cache,
        onProgress: (p) => events.push(p),
      });
      assert.equal(files.id, "fixtures/trocr");
      assert.deepEqual(files.source, { kind: "hub", id: "fixtures/trocr" });
      assert.deepEqual(await files.read(ENC), await fixture(ENC));
      assert.equal(
        (await readJson<{ model_type: string }>(files, "config.json")).model_type,
        "vision-encoder-decoder",
      );
      assert.equal(server.count("GET", "/fixtures/trocr/resolve/main/onnx/encoder_model.onnx"), 1);
      const size = (await fixture(ENC)).length;
      const last = events.filter((e) => e.file === ENC).at(-1);
      assert.deepEqual(last, { file: ENC, loaded: size, total: size });

      const layout = `${cache}/hub/models--fixtures--trocr/main`;
      assert.deepEqual(await filesUnder(cache), [
        `${layout}/config.json`,
        `${layout}/onnx/encoder_model.onnx`,
      ]);
      assert.deepEqual(await Deno.readFile(`${layout}/${ENC}`), await fixture(ENC));
      await server.close();

      for (const offline of [false, true]) {
        const again = await resolveModelFiles("fixtures/trocr", { cacheDir: cache, offline });
        assert.deepEqual(await again.read(ENC), await fixture(ENC), `offline: ${offline}`);
        assert.equal(await again.has("config.json"), true);
      }
      const off = await resolveModelFiles("fixtures/trocr", { cacheDir: cache, offline: true });
      assert.equal(await off.has("onnx/decoder_model.onnx"), false, "offline: not cached = absent");
      // Online with the server gone and nothing cached: a network error naming file and URL.
      const on = await resolveModelFiles("fixtures/trocr", { cacheDir: cache, retries: 0 });
      await assert.rejects(
        on.read("tokenizer.json"),
        (e: Error) =>
          e instanceof ModelLoadError &&
          e.message.startsWith("Cannot load tokenizer.json from fixtures/trocr: network error") &&
          e.message.includes(`${server.origin}/fixtures/trocr/resolve/main/tokenizer.json`),
      );
    });
  });
});

Deno.test("a missing remote file is false for has() (asked once) and an HTTP 404 ModelLoadError for read()", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    try {
      const files = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
      });
      const url = `${server.origin}/fixtures/trocr/resolve/main/onnx/x.onnx`;
      assert.equal(await files.has("onnx/x.onnx"), false);
      assert.equal(await files.has("onnx/x.onnx"), false);
      assert.equal(server.count("HEAD", "/fixtures/trocr/resolve/main/onnx/x.onnx"), 1);
      assert.equal(await files.has(ENC), true);
      await assert.rejects(files.read("onnx/x.onnx"), {
        name: "ModelLoadError",
        code: "MODEL_LOAD",
        message: `Cannot load onnx/x.onnx from fixtures/trocr: HTTP 404 at ${url}`,
      });
      const fresh = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
      });
      await assert.rejects(fresh.read("onnx/x.onnx"), {
        message: `Cannot load onnx/x.onnx from fixtures/trocr: HTTP 404 at ${url}`,
      });
      assert.equal(server.count("GET", "/fixtures/trocr/resolve/main/onnx/x.onnx"), 1, "no retry");
      assert.deepEqual(await filesUnder(cache), []);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a response cut short is retried, then an error, and leaves no cache file", async () => {
  await withTempDir(async (cache) => {
    const server = startTruncatingServer(1000, 10);
    try {
      const files = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
        retries: 1,
        retryDelayMs: 1,
      });
      await assert.rejects(files.read("config.json"), (e: Error) => {
        assert.ok(e instanceof ModelLoadError);
        assert.match(e.message, /^Cannot load config\.json from fixtures\/trocr: response /);
        assert.match(e.message, /(cut short: 10 of 1000 bytes|broke off after 10 of 1000 bytes)/);
        assert.match(e.message, /after 2 attempts/);
        return true;
      });
      assert.equal(server.answered(), 2);
      assert.deepEqual(await filesUnder(cache), [], "no cache file, no temp file");
    } finally {
      await server.close();
    }
  });
});

Deno.test("5xx answers are retried and 4xx answers are not", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer({ failFirst: 2 });
    try {
      const ok = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
        retries: 2,
        retryDelayMs: 1,
      });
      assert.deepEqual(await ok.read("config.json"), await fixture("config.json"));
      assert.equal(server.count("GET", "/fixtures/trocr/resolve/main/config.json"), 3);

      const tooFew = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
        retries: 1,
        retryDelayMs: 1,
      });
      await assert.rejects(tooFew.read("vocab.json"), {
        message: `Cannot load vocab.json from fixtures/trocr: HTTP 503 at ${server.origin}` +
          `/fixtures/trocr/resolve/main/vocab.json (after 2 attempts)`,
      });

      const denied = await resolveModelFiles(`${server.origin}/denied/x`, { retryDelayMs: 1 });
      await assert.rejects(denied.read("config.json"), /HTTP 401 at .*pass a token/);
      await assert.rejects(denied.has("config.json"), /Cannot check for config.json in .*HTTP 401/);
      assert.equal(server.count("GET", "/denied/x/config.json"), 3, "2 x 503, then one 401");
    } finally {
      await server.close();
    }
  });
});

Deno.test("a base URL source reads files under it, sends the token, and caches nothing", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    try {
      await withEnv({ VEDGE_CACHE: cache }, async () => {
        const base = `${server.origin}/raw/trocr/`;
        const files = await resolveModelFiles(base, { token: "t0k" });
        assert.deepEqual(files.source, { kind: "url", base: `${server.origin}/raw/trocr` });
        assert.deepEqual(await files.read(ENC), await fixture(ENC));
        assert.equal(await files.has("merges.txt"), true);
        assert.equal(await files.has("nope.txt"), false);
        assert.equal(server.count("GET", "/raw/trocr/onnx/encoder_model.onnx"), 1);
        assert.deepEqual(server.authorizations, ["Bearer t0k", "Bearer t0k", "Bearer t0k"]);
        assert.deepEqual(await filesUnder(cache), []);
        const viaUrl = await resolveModelFiles(new URL(base));
        assert.deepEqual(await viaUrl.read("config.json"), await fixture("config.json"));
        const offline = await resolveModelFiles(base, { offline: true });
        await assert.rejects(offline.read("config.json"), /offline mode .*never cached/);
      });
    } finally {
      await server.close();
    }
  });
});

Deno.test("Hub downloads send HF_TOKEN as a Bearer token; the token option wins", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    try {
      await withEnv({ HF_TOKEN: "from-env" }, async () => {
        const opts = { endpoint: server.origin, cacheDir: cache };
        await (await resolveModelFiles("fixtures/trocr", opts)).read("config.json");
        await (await resolveModelFiles("fixtures/trocr", { ...opts, token: "opt" })).read(ENC);
        assert.deepEqual(server.authorizations, ["Bearer from-env", "Bearer opt"]);
      });
    } finally {
      await server.close();
    }
  });
});

Deno.test("a local folder source reads its files and names path and source when one is missing", async () => {
  const rel = "tests/fixtures/models/trocr";
  const abs = new URL("trocr", FIXTURE_MODELS).pathname;
  for (const source of [rel, `./${rel}`, abs, new URL("trocr", FIXTURE_MODELS)]) {
    const files = await resolveModelFiles(source);
    assert.deepEqual(files.source, { kind: "folder", path: abs });
    assert.deepEqual(await files.read(ENC), await fixture(ENC));
    assert.equal(await files.has(ENC), true);
    assert.equal(await files.has("onnx"), false, "a folder is not a file");
    assert.equal(await files.has("onnx/x.onnx"), false);
  }
  const files = await resolveModelFiles(`./${rel}`);
  await assert.rejects(files.read("onnx/x.onnx"), {
    name: "ModelLoadError",
    message: `Cannot load onnx/x.onnx from ./${rel}: no such file (${abs}/onnx/x.onnx)`,
  });
  await assert.rejects(files.read("../trocr/config.json"), TypeError);
  await assert.rejects(resolveModelFiles("./no/such/model"), {
    name: "ModelLoadError",
    message:
      `Cannot load a model from ./no/such/model: no such folder (${Deno.cwd()}/no/such/model)`,
  });
});

Deno.test("offline mode with an empty cache names the missing file and the cache path", async () => {
  await withTempDir(async (cache) => {
    const envs: Record<string, string>[] = [{ VEDGE_OFFLINE: "1" }, { HF_HUB_OFFLINE: "true" }];
    for (const env of envs) {
      await withEnv({ ...env, HF_ENDPOINT: "http://127.0.0.1:9" }, async () => {
        const files = await resolveModelFiles("fixtures/trocr", { cacheDir: cache });
        const [k, v] = Object.entries(env)[0];
        await assert.rejects(files.read("onnx/decoder_model_merged.onnx"), {
          name: "ModelLoadError",
          message: `Cannot load onnx/decoder_model_merged.onnx from fixtures/trocr: offline mode ` +
            `(${k}=${v}) and the file is not in the cache ` +
            `(${cache}/hub/models--fixtures--trocr/main/onnx/decoder_model_merged.onnx)`,
        });
        assert.equal(await files.has("config.json"), false);
      });
    }
  });
});

Deno.test("the VEDGE_CACHE environment variable decides where Hub files are cached", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    try {
      await withEnv({ VEDGE_CACHE: cache, HF_ENDPOINT: server.origin }, async () => {
        const files = await resolveModelFiles("fixtures/trocr", { revision: "refs/pr/1" });
        await files.read("config.json");
        assert.deepEqual(await filesUnder(cache), [
          `${cache}/hub/models--fixtures--trocr/refs%2Fpr%2F1/config.json`,
        ]);
        assert.equal(server.requests[0], "GET /fixtures/trocr/resolve/refs%2Fpr%2F1/config.json");
      });
    } finally {
      await server.close();
    }
  });
});

Deno.test("concurrent reads of one remote file fetch it once", async () => {
  await withTempDir(async (cache) => {
    const server = startFixtureServer({ delayMs: 20 });
    try {
      const files = await resolveModelFiles("fixtures/trocr", {
        endpoint: server.origin,
        cacheDir: cache,
      });
      const path = "onnx/decoder_model_merged.onnx";
      const [a, b, c, h1, h2] = await Promise.all([
        files.read(path),
        files.read(path),
        files.read(path),
        files.has("vocab.json"),
        files.has("vocab.json"),
      ]);
      const want = await fixture(path);
      for (const got of [a, b, c]) assert.deepEqual(got, want);
      assert.equal(h1 && h2, true);
      assert.equal(server.count("GET", `/fixtures/trocr/resolve/main/${path}`), 1);
      assert.equal(server.count("HEAD", "/fixtures/trocr/resolve/main/vocab.json"), 1);
    } finally {
      await server.close();
    }
  });
});

Deno.test("in a browser-like host the Cache API holds the Hub cache", async () => {
  const cacheName = `vedge-test-${crypto.randomUUID()}`;
  const server = startFixtureServer();
  try {
    const platform = createWebPlatform({ caches, cacheName, env: { HF_ENDPOINT: server.origin } });
    const files = await resolveModelFiles("fixtures/trocr", { platform });
    assert.deepEqual(await files.read("config.json"), await fixture("config.json"));
    const keys = (await (await caches.open(cacheName)).keys()).map((r) => r.url);
    assert.deepEqual(keys, [
      "https://vedge.invalid/vedge/hub/models--fixtures--trocr/main/config.json",
    ]);
    await server.close();
    const offline = await resolveModelFiles("fixtures/trocr", { platform, offline: true });
    assert.deepEqual(await offline.read("config.json"), await fixture("config.json"));
    await assert.rejects(resolveModelFiles("./local/model", { platform }), /has no file system/);
  } finally {
    await server.close();
    await caches.delete(cacheName);
  }
});

Deno.test("the Node adapter serves the same Hub cache layout", async () => {
  const { createNodePlatform } = await import("../platform/node.ts");
  await withTempDir(async (cache) => {
    const server = startFixtureServer();
    try {
      const platform = await createNodePlatform();
      const opts = { platform, endpoint: server.origin, cacheDir: cache };
      await (await resolveModelFiles("fixtures/trocr", opts)).read("config.json");
      assert.deepEqual(await filesUnder(cache), [
        `${cache}/hub/models--fixtures--trocr/main/config.json`,
      ]);
      const local = await resolveModelFiles("./tests/fixtures/models/trocr", { platform });
      assert.deepEqual(await local.read(ENC), await fixture(ENC));
    } finally {
      await server.close();
    }
  });
});

Deno.test("a Hub id's file list is read once: absent optional files cost no request, present ones no HEAD", async () => {
  const server = startFixtureServer({ listFiles: true });
  const cacheDir = await Deno.makeTempDir();
  try {
    const files = await resolveModelFiles("org/trocr", { endpoint: server.origin, cacheDir });
    assert.equal(await files.has("added_tokens.json"), false);
    assert.equal(await files.has("onnx/decoder_model_merged_fp16.onnx"), false);
    assert.equal(await files.has("onnx/encoder_model.onnx"), true);
    assert.equal(
      (await readJson(files, "config.json") as { model_type: string }).model_type,
      "vision-encoder-decoder",
    );
    assert.deepEqual(server.requests.filter((r) => r.startsWith("HEAD")), []);
    assert.equal(server.requests.filter((r) => r.includes("/api/models/")).length, 1);
    assert.deepEqual(server.requests.filter((r) => r.includes("added_tokens")), []);
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("without a file list (a server that has none) existence is asked file by file", async () => {
  const server = startFixtureServer();
  const cacheDir = await Deno.makeTempDir();
  try {
    const files = await resolveModelFiles("org/trocr", { endpoint: server.origin, cacheDir });
    assert.equal(await files.has("added_tokens.json"), false);
    assert.equal(await files.has("onnx/encoder_model.onnx"), true);
    assert.equal(server.count("HEAD", "/org/trocr/resolve/main/added_tokens.json"), 1);
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
});
