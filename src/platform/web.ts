/**
 * The web adapter (browsers, Cloudflare Workers, any host with the Cache API and no file
 * system). "Files" are entries of one Cache API cache (`caches.open("vedge")`), keyed by a
 * synthetic https URL made from the path; environment variables come from an injected object
 * (a Worker's `env` binding, or a page's settings). There are no folders: local folder sources
 * cannot load here.
 * @module
 */
import { type FileInfo, joinWith, type Platform } from "./platform.ts";

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
    return { isFile: true, isDirectory: false, size: Number.isFinite(size) ? size : 0 };
  };
  return {
    name: "web",
    hasFileSystem: false,
    readFile: async (path) => {
      const r = await (await cache()).match(keyOf(path));
      return r === undefined ? undefined : new Uint8Array(await r.arrayBuffer());
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
    exists: async (path) => (await stat(path)) !== undefined,
    remove: async (path) => {
      const c = await cache();
      const prefix = keyOf(path);
      for (const req of await c.keys()) {
        if (req.url === prefix || req.url.startsWith(prefix + "/")) await c.delete(req);
      }
    },
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
