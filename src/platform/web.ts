/**
 * The web adapter (browsers, Cloudflare Workers, any host with the Cache API and no file
 * system). "Files" are entries of one Cache API cache (`caches.open("vedge")`), keyed by a
 * synthetic https URL made from the path; environment variables come from an injected object
 * (a Worker's `env` binding, or a page's settings). There are no folders: local folder sources
 * cannot load here.
 * @module
 */
import { type FileInfo, joinWith, type Platform, readBounded, tooLarge } from "./platform.ts";

/** Options of {@link createWebPlatform}. */
export interface WebPlatformOptions {
  /** Environment variables (VEDGE_CACHE, HF_ENDPOINT, VEDGE_OFFLINE, ...). Default: none. */
  env?: Record<string, string | undefined>;
  /** The Cache API storage to use. Default: the global `caches`. */
  caches?: CacheStorage;
  /** Name of the cache opened in it. Default: "vedge". */
  cacheName?: string;
}

/** Origin of the synthetic URLs that key the cache entries; `.invalid` never resolves. */
const KEY_ORIGIN = "https://vedge.invalid";
/** Header holding an entry's size, so `stat` needs no body read. */
const SIZE_HEADER = "x-vedge-size";

/**
 * Whether this host has the Cache API (a capability check, no side effect).
 * @returns true when `caches.open` exists
 */
export function hasCacheApi(): boolean {
  const c = (globalThis as { caches?: { open?: unknown } }).caches;
  return typeof c?.open === "function";
}

/**
 * Creates the web adapter.
 * @param options env object, CacheStorage and cache name
 * @returns a Platform whose files are Cache API entries
 */
export function createWebPlatform(options: WebPlatformOptions = {}): Platform {
  const env = options.env ?? {};
  const storage = options.caches ?? (globalThis as { caches?: CacheStorage }).caches;
  const name = options.cacheName ?? "vedge";
  let opened: Promise<Cache> | undefined;
  const cache = (): Promise<Cache> => {
    if (storage === undefined) {
      return Promise.reject(
        new Error("Cannot use the web platform's store: this host has no Cache API (caches)"),
      );
    }
    return (opened ??= storage.open(name));
  };
  const norm = (path: string): string => {
    const segs: string[] = [];
    for (const s of path.split("/")) {
      if (s === "" || s === ".") continue;
      if (s === "..") segs.pop();
      else segs.push(s);
    }
    return "/" + segs.join("/");
  };
  const keyOf = (path: string): string =>
    KEY_ORIGIN + norm(path).split("/").map(encodeURIComponent).join("/");
  const stat = async (path: string): Promise<FileInfo | undefined> => {
    const r = await (await cache()).match(keyOf(path));
    if (r === undefined) return undefined;
    const size = Number(r.headers.get(SIZE_HEADER) ?? NaN);
    await r.body?.cancel();
    return {
      isFile: true,
      isDirectory: false,
      size: Number.isFinite(size) ? size : 0,
      type: "file",
    };
  };
  const remove = async (path: string): Promise<void> => {
    const c = await cache();
    const prefix = keyOf(path);
    for (const req of await c.keys()) {
      if (req.url === prefix || req.url.startsWith(prefix + "/")) await c.delete(req);
    }
  };
  /** Keys of every entry under a folder path (the path itself excluded). */
  const keysUnder = async (path: string): Promise<Request[]> => {
    const prefix = keyOf(path).replace(/\/$/, "") + "/";
    return (await (await cache()).keys()).filter((r) => r.url.startsWith(prefix));
  };
  return {
    name: "web",
    hasFileSystem: false,
    readFile: async (path, options = {}) => {
      const r = await (await cache()).match(keyOf(path));
      if (r === undefined) return undefined;
      const declared = Number(r.headers.get(SIZE_HEADER) ?? 0);
      const max = options.maxBytes;
      if (max !== undefined && declared > max) {
        await r.body?.cancel();
        throw tooLarge(path, declared, options);
      }
      if (r.body === null) return new Uint8Array(0);
      const reader = r.body.getReader();
      let pending: Uint8Array = new Uint8Array(0);
      try {
        // Entries are vedge's own, but read them bounded all the same.
        return await readBounded(
          async (into) => {
            if (pending.length === 0) {
              const next = await reader.read();
              if (next.done) return null;
              pending = next.value;
            }
            const n = Math.min(into.length, pending.length);
            into.set(pending.subarray(0, n));
            pending = pending.subarray(n);
            return n;
          },
          Number.isSafeInteger(declared) && declared >= 0 ? declared : 0,
          path,
          options,
        );
      } finally {
        await reader.cancel().catch(() => {});
      }
    },
    writeFileAtomic: async (path, data) => {
      // Collect first: nothing is put until every chunk arrived, so a failed source leaves no
      // entry (Cache.put itself is atomic).
      let bytes: Uint8Array;
      if (data instanceof Uint8Array) bytes = data;
      else {
        const parts: Uint8Array[] = [];
        let n = 0;
        for await (const c of data) {
          parts.push(c);
          n += c.length;
        }
        bytes = new Uint8Array(n);
        let off = 0;
        for (const p of parts) {
          bytes.set(p, off);
          off += p.length;
        }
      }
      const body = new Uint8Array(bytes).buffer;
      await (await cache()).put(
        keyOf(path),
        new Response(body, { headers: { [SIZE_HEADER]: String(bytes.length) } }),
      );
    },
    mkdirp: () => Promise.resolve(),
    stat,
    rename: async (from, to) => {
      // No atomic rename in the Cache API: copy each entry, then delete the old ones.
      const c = await cache();
      const src = keyOf(from);
      const dst = keyOf(to);
      const single = await c.match(src);
      const moves: [Request, string][] = (await keysUnder(from)).map((r) => [
        r,
        dst + r.url.slice(src.length),
      ]);
      if (single) moves.push([new Request(src), dst]);
      if (moves.length === 0) throw new Error(`Cannot rename ${from}: no such file or folder`);
      await remove(to);
      for (const [req, target] of moves) {
        const r = await c.match(req);
        if (r) await c.put(target, r);
      }
      for (const [req] of moves) await c.delete(req);
    },
    readDir: async (path) => {
      const prefix = keyOf(path).replace(/\/$/, "") + "/";
      const names = new Set<string>();
      for (const r of await keysUnder(path)) {
        names.add(decodeURIComponent(r.url.slice(prefix.length).split("/")[0]));
      }
      return [...names];
    },
    realPath: (path) => Promise.resolve(norm(path)),
    exists: async (path) => (await stat(path)) !== undefined,
    remove,
    env: (n) => env[n],
    cacheDir: () => {
      const v = env.VEDGE_CACHE;
      return v === undefined || v === "" ? "/vedge" : v;
    },
    joinPath: (...parts) => joinWith("/", parts),
    resolvePath: (path) => norm(path),
    pathFromFileUrl: (url) => {
      throw new TypeError(`Cannot use ${url.href}: this platform has no file system`);
    },
  };
}
