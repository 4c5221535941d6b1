import assert from "node:assert/strict";
import { createDenoPlatform, type DenoApi, fileUrlToPath } from "./deno.ts";
import { detectPlatform } from "./detect.ts";
import { createNodePlatform } from "./node.ts";
import {
  defaultCacheDir,
  joinWith,
  PermissionDeniedError,
  type Platform,
  readBounded,
} from "./platform.ts";
import {
  DEFAULT_READ_LIMITS,
  fileKindOf,
  FileTooLargeError,
  NotAFileError,
  type ReadLimits,
  readLimitTable,
} from "./read_limits.ts";
import { createWebPlatform } from "./web.ts";

const enc = new TextEncoder();

async function* chunks(parts: string[], failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < parts.length; i++) {
    if (failAfter !== undefined && i === failAfter) throw new Error("source broke");
    yield enc.encode(parts[i]);
  }
}

/** One assertion set, run on every adapter: the contract the hub relies on. */
async function checkContract(p: Platform, root: string): Promise<void> {
  const file = p.joinPath(root, "a", "b", "c.txt");
  assert.equal(await p.readFile(file), undefined, "absent file reads as undefined");
  assert.equal(await p.stat(file), undefined);
  assert.equal(await p.exists(file), false);

  await p.writeFileAtomic(file, chunks(["hel", "lo"]));
  assert.deepEqual(await p.readFile(file), enc.encode("hello"));
  const st = await p.stat(file);
  assert.equal(st?.isFile, true);
  assert.equal(st?.size, 5);

  // A source that throws leaves the old content and no temporary file.
  await assert.rejects(p.writeFileAtomic(file, chunks(["x", "y", "z"], 2)), /source broke/);
  assert.deepEqual(await p.readFile(file), enc.encode("hello"));
  const fresh = p.joinPath(root, "fresh.bin");
  await assert.rejects(p.writeFileAtomic(fresh, chunks(["x", "y"], 1)), /source broke/);
  assert.equal(await p.exists(fresh), false);

  await p.writeFileAtomic(file, enc.encode("bytes"));
  assert.deepEqual(await p.readFile(file), enc.encode("bytes"));
  // Folders rename whole and list their entries.
  await p.writeFileAtomic(p.joinPath(root, "a", "d.txt"), enc.encode("d"));
  assert.deepEqual((await p.readDir(p.joinPath(root, "a"))).sort(), ["b", "d.txt"]);
  await p.rename(p.joinPath(root, "a"), p.joinPath(root, "moved"));
  assert.equal(await p.exists(file), false);
  assert.deepEqual(await p.readFile(p.joinPath(root, "moved", "b", "c.txt")), enc.encode("bytes"));
  await p.rename(p.joinPath(root, "moved"), p.joinPath(root, "a"));
  await p.remove(p.joinPath(root, "a"));
  assert.equal(await p.exists(file), false);
  await p.remove(p.joinPath(root, "a")); // absent is fine
}

function listTree(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const full = `${dir}/${e.name}`;
    out.push(full);
    if (e.isDirectory) out.push(...listTree(full));
  }
  return out;
}

Deno.test("Deno adapter keeps the file contract and leaves no temp files", async () => {
  const root = await Deno.makeTempDir();
  try {
    await checkContract(createDenoPlatform(), root);
    assert.deepEqual(listTree(root).filter((f) => f.endsWith(".tmp")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Node adapter keeps the file contract and leaves no temp files", async () => {
  const root = await Deno.makeTempDir();
  try {
    await checkContract(await createNodePlatform(), root);
    assert.deepEqual(listTree(root).filter((f) => f.endsWith(".tmp")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("web adapter keeps the file contract in the Cache API", async () => {
  const cacheName = `vedge-test-${crypto.randomUUID()}`;
  try {
    const p = createWebPlatform({ caches, cacheName, env: { HF_ENDPOINT: "http://x" } });
    assert.equal(p.hasFileSystem, false);
    assert.equal(p.env("HF_ENDPOINT"), "http://x");
    assert.equal(p.env("HOME"), undefined, "env comes only from the injected object");
    assert.equal(p.cacheDir(), "/vedge");
    await checkContract(p, p.cacheDir());
    // Reads are bounded there too.
    await p.writeFileAtomic("/vedge/big.bin", new Uint8Array(5000));
    await assert.rejects(p.readFile("/vedge/big.bin", { maxBytes: 4096 }), FileTooLargeError);
    assert.equal((await p.readFile("/vedge/big.bin", { maxBytes: 5000 }))?.length, 5000);
    await p.remove("/vedge/big.bin");
    const keys = await (await caches.open(cacheName)).keys();
    assert.deepEqual(keys.map((k) => k.url), [], "failed writes left no entry");
  } finally {
    await caches.delete(cacheName);
  }
});

Deno.test("web adapter honours VEDGE_CACHE from its env object", () => {
  const p = createWebPlatform({ caches, env: { VEDGE_CACHE: "/models" } });
  assert.equal(p.cacheDir(), "/models");
});

Deno.test("detectPlatform() picks the Deno adapter on Deno", async () => {
  assert.equal((await detectPlatform()).name, "deno");
});

Deno.test("cacheDir() prefers VEDGE_CACHE on Deno and Node", async () => {
  const old = Deno.env.get("VEDGE_CACHE");
  try {
    Deno.env.set("VEDGE_CACHE", "/tmp/vedge-x");
    assert.equal(createDenoPlatform().cacheDir(), "/tmp/vedge-x");
    assert.equal((await createNodePlatform()).cacheDir(), "/tmp/vedge-x");
  } finally {
    if (old === undefined) Deno.env.delete("VEDGE_CACHE");
    else Deno.env.set("VEDGE_CACHE", old);
  }
});

Deno.test("defaultCacheDir() follows each OS's convention", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  const posix = (...p: string[]) => joinWith("/", p);
  const win = (...p: string[]) => joinWith("\\", p);
  assert.equal(
    defaultCacheDir({ os: "linux", env: env({ HOME: "/home/u" }), join: posix }),
    "/home/u/.cache/vedge",
  );
  assert.equal(
    defaultCacheDir({ os: "linux", env: env({ HOME: "/h", XDG_CACHE_HOME: "/xdg" }), join: posix }),
    "/xdg/vedge",
  );
  assert.equal(
    defaultCacheDir({ os: "darwin", env: env({ HOME: "/Users/u" }), join: posix }),
    "/Users/u/Library/Caches/vedge",
  );
  assert.equal(
    defaultCacheDir({
      os: "windows",
      env: env({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }),
      join: win,
    }),
    "C:\\Users\\u\\AppData\\Local\\vedge",
  );
  assert.equal(
    defaultCacheDir({ os: "linux", env: env({ VEDGE_CACHE: "/c", HOME: "/h" }), join: posix }),
    "/c",
  );
  assert.throws(
    () => defaultCacheDir({ os: "linux", env: env({}), join: posix }),
    /set VEDGE_CACHE/,
  );
});

Deno.test("fileUrlToPath() handles POSIX, Windows drive and UNC URLs", () => {
  assert.equal(fileUrlToPath(new URL("file:///a/b%20c/d"), false), "/a/b c/d");
  assert.equal(fileUrlToPath(new URL("file:///C:/m/x"), true), "C:\\m\\x");
  assert.equal(fileUrlToPath(new URL("file://srv/share/m"), true), "\\\\srv\\share\\m");
  assert.throws(() => fileUrlToPath(new URL("http://x/y"), false), TypeError);
});

Deno.test("Deno permission refusals become messages naming the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = new URL("./deno.ts", import.meta.url).href;
    const script = `
      import { createDenoPlatform } from ${JSON.stringify(url)};
      const p = createDenoPlatform();
      const out = [];
      for (const f of [() => p.readFile(${JSON.stringify(dir + "/x")}),
                       () => p.writeFileAtomic(${JSON.stringify(dir + "/y")}, new Uint8Array(1)),
                       async () => p.env("HF_ENDPOINT")]) {
        try { await f(); out.push("ok"); } catch (e) { out.push(e.name + ": " + e.message); }
      }
      console.log(JSON.stringify(out));
    `;
    const scriptPath = `${dir}/probe.ts`;
    await Deno.writeTextFile(scriptPath, script);
    const allowRead = `--allow-read=${new URL(".", import.meta.url).pathname},${scriptPath}`;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-check", "--no-prompt", allowRead, scriptPath],
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    const out: string[] = JSON.parse(new TextDecoder().decode(res.stdout));
    assert.match(out[0], /^PermissionDeniedError: Cannot read .*\/x: .*--allow-read/);
    assert.match(out[1], /^PermissionDeniedError: Cannot write .*--allow-write/);
    assert.match(
      out[2],
      /^PermissionDeniedError: Cannot read environment variable HF_ENDPOINT.*--allow-env/,
    );
    assert.equal(new PermissionDeniedError("x").code, "PERMISSION_DENIED");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("normalizeAbsolute() resolves . and .. on POSIX and Windows paths", async () => {
  const { normalizeAbsolute } = await import("./platform.ts");
  assert.equal(normalizeAbsolute("/", "/work/./a/../b//c"), "/work/b/c");
  assert.equal(normalizeAbsolute("/", "/.."), "/");
  assert.equal(normalizeAbsolute("\\", "C:\\m\\.\\x\\..\\y"), "C:\\m\\y");
  assert.equal(normalizeAbsolute("\\", "C:/m/y"), "C:\\m\\y");
  assert.equal(normalizeAbsolute("\\", "\\\\srv\\share\\a\\..\\b"), "\\\\srv\\share\\b");
});

Deno.test("the real Deno namespace fits the DenoApi the adapter declares", () => {
  const fits: DenoApi = Deno; // a type error here means deno.ts calls Deno wrongly
  assert.equal(typeof fits.readFile, "function");
});

/** The hostile-file assertions, on an adapter with a real file system. */
async function checkBoundedReads(p: Platform, root: string): Promise<void> {
  const fifo = `${root}/pipe.png`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mk.code, 0);
  await Deno.symlink("/dev/zero", `${root}/zero.json`);
  await Deno.symlink("/dev/urandom", `${root}/random.png`);
  const refused = async (path: string, re: RegExp): Promise<void> => {
    const t0 = performance.now();
    await assert.rejects(p.readFile(path), (e: unknown) => {
      assert.ok(e instanceof NotAFileError, `${path}: ${e}`);
      assert.equal(e.code, "NOT_A_FILE");
      assert.match(e.message, re);
      assert.ok(e.message.includes(path));
      return true;
    });
    assert.ok(performance.now() - t0 < 2000, "refused at once, never blocked");
  };
  await refused(fifo, /FIFO \(named pipe\), not a regular file/);
  await refused(`${root}/zero.json`, /character device/);
  await refused(`${root}/random.png`, /character device/);
  await refused(root, /a folder, not a regular file/);
  assert.equal((await p.stat(fifo))?.type, "fifo");

  const big = `${root}/big.bin`;
  await Deno.writeFile(big, new Uint8Array(5000));
  await assert.rejects(
    p.readFile(big, { maxBytes: 4096, limitName: "the test limit" }),
    (e: unknown) =>
      e instanceof FileTooLargeError && e.code === "FILE_TOO_LARGE" &&
      /big\.bin: 4\.9 KiB \(5000 bytes\) exceeds 4\.0 KiB \(4096 bytes\), the test limit/.test(
        e.message,
      ),
  );
  assert.equal((await p.readFile(big, { maxBytes: 5000 }))?.length, 5000);
}

Deno.test("Deno and Node adapters refuse FIFOs, devices and folders at once, and files over the limit", async () => {
  for (const p of [createDenoPlatform(), await createNodePlatform()]) {
    const root = await Deno.makeTempDir();
    try {
      await checkBoundedReads(p, root);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("readBounded() stops a file that grows past the limit while it is read", async () => {
  // A /proc-like file: stat says 0 bytes, reads never end.
  let served = 0;
  const endless = (into: Uint8Array): Promise<number> => {
    served += into.length;
    return Promise.resolve(into.length);
  };
  await assert.rejects(
    readBounded(endless, 0, "/proc/x", { maxBytes: 100_000 }),
    (e: unknown) => e instanceof FileTooLargeError && /grew past/.test(e.message),
  );
  assert.ok(served <= 100_001 + 65536, `read ${served} bytes`);
  // A file that shrank returns what is there; one that grew within the limit, all of it.
  const src = new Uint8Array([1, 2, 3, 4, 5, 6]);
  let at = 0;
  const from = (data: Uint8Array) => (into: Uint8Array): Promise<number | null> => {
    if (at >= data.length) return Promise.resolve(null);
    const n = Math.min(into.length, data.length - at, 2);
    into.set(data.subarray(at, at + n));
    at += n;
    return Promise.resolve(n);
  };
  assert.deepEqual(await readBounded(from(src), 10, "f", { maxBytes: 10 }), src);
  at = 0;
  assert.deepEqual(await readBounded(from(src), 4, "f", { maxBytes: 10 }), src);
});

Deno.test("readLimitTable() and fileKindOf() give each model file its limit", () => {
  assert.equal(readLimitTable().json, DEFAULT_READ_LIMITS.json);
  assert.equal(readLimitTable({ json: 10 }).json, 10);
  assert.throws(() => readLimitTable({ jsn: 1 } as ReadLimits), /unknown file kind "jsn"/);
  assert.throws(() => readLimitTable({ image: -1 }), RangeError);
  const kinds: Record<string, string> = {
    "config.json": "json",
    "tokenizer.json": "tokenizer",
    "merges.txt": "tokenizer",
    "sentencepiece.bpe.model": "tokenizer",
    "onnx/encoder_model_fp16.onnx": "onnx",
    "onnx/decoder_model.onnx_data": "weights",
    "model-00001-of-00002.safetensors": "weights",
    "pytorch_model.bin": "weights",
    "cat.JPG": "image",
    "README.md": "other",
  };
  for (const [name, kind] of Object.entries(kinds)) assert.equal(fileKindOf(name), kind, name);
});
