/**
 * Model files behind HTTP (a base URL, or the Hub's resolve URLs), optionally cached on the
 * platform's store. Within one ModelFiles: concurrent reads of one file share one download,
 * and answers of `has` (negative ones included) are remembered for the session.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { fileKindOf, type ReadLimits, readLimitTable } from "../platform/read_limits.ts";
import { checkContent } from "./content_check.ts";
import {
  download,
  headExists,
  type HttpPolicy,
  HttpStatusError,
  TransferError,
} from "./download.ts";
import type { ModelFiles } from "./model_files.ts";
import { checkFilePath } from "./source.ts";

/** Progress of one download. */
export interface DownloadProgress {
  /** The Hub-relative file being downloaded. */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Expected bytes (Content-Length), when the server said. */
  total: number | undefined;
}

/** Where downloaded files are kept. */
export interface FileStore {
  /** The store (a file system, or the Cache API). */
  platform: Platform;
  /** The store path of a Hub-relative file. */
  pathOf: (file: string) => string;
}

/** Options of {@link remoteFiles}. */
export interface RemoteFilesOptions extends HttpPolicy {
  /** The source as the user gave it, for messages. */
  id: string;
  /** The URL of a Hub-relative file. */
  urlOf: (file: string) => string;
  /** Where to cache downloads; absent: no cache. */
  store?: FileStore;
  /** Use only the store, never the network; the string says why (for messages), or undefined. */
  offline?: string;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Per-kind byte limits for downloads and cache reads. Default: DEFAULT_READ_LIMITS. */
  readLimits?: ReadLimits;
  /**
   * The URL of the repository's file list (the Hub's `/api/models/{id}/revision/{rev}`, whose
   * `siblings[].rfilename` name every file). Read once, on the first existence check: files
   * not in it are absent without a request. Absent, or when the list cannot be had: each
   * existence check asks the server (HEAD).
   */
  listUrl?: string;
}

/**
 * The file names of a Hub model-info answer.
 * @param bytes the JSON body of `/api/models/{id}/revision/{rev}`
 * @returns the names, or undefined when the body is not such an answer
 */
export function siblingNames(bytes: Uint8Array): Set<string> | undefined {
  let info: unknown;
  try {
    info = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const siblings = (info as { siblings?: unknown })?.siblings;
  if (!Array.isArray(siblings)) return undefined;
  const names = new Set<string>();
  for (const s of siblings) {
    const name = (s as { rfilename?: unknown })?.rfilename;
    if (typeof name !== "string") return undefined;
    names.add(name);
  }
  return names;
}

/**
 * Model files fetched over HTTP.
 * @param options URLs, cache, offline mode, HTTP policy
 * @returns a ModelFiles over them
 */
export function remoteFiles(options: RemoteFilesOptions): ModelFiles {
  const { id, urlOf, store, offline } = options;
  const reading = new Map<string, Promise<Uint8Array>>();
  const asking = new Map<string, Promise<boolean>>();
  const known = new Map<string, boolean>();
  const missing = new Map<string, string>(); // file -> why ("HTTP 404 at <url>")

  const limits = readLimitTable(options.readLimits);
  // Set when the server could not be reached at all: from then on the cache answers alone,
  // optional files not in it count as absent (huggingface_hub's fallback when offline).
  let unreachable: string | undefined;

  const fail = (file: string, what: string, cause?: unknown): ModelLoadError =>
    new ModelLoadError(`Cannot load ${file} from ${id}: ${what}`, { cause });
  const limitOf = (file: string): { maxBytes: number; limitName: string } => {
    const kind = fileKindOf(file);
    return {
      maxBytes: limits[kind],
      limitName: `the limit for ${kind} files (option readLimits.${kind})`,
    };
  };

  /** The cached file when it is there and passes its check; a poisoned entry is removed. */
  const fromStore = async (file: string): Promise<Uint8Array | undefined> => {
    if (!store) return undefined;
    const path = store.pathOf(file);
    let bytes: Uint8Array | undefined;
    try {
      bytes = await store.platform.readFile(path, limitOf(file));
    } catch (e) {
      throw fail(file, `cannot read the cache: ${(e as Error).message}`, e);
    }
    if (bytes === undefined) return undefined;
    const problem = checkContent(file, bytes);
    if (problem === undefined) return bytes;
    // A file that fails its check (left by an older version, or a disk error) is never used.
    try {
      await store.platform.remove(path);
    } catch (e) {
      throw fail(file, `the cached ${path} is corrupt (${problem}) and cannot be removed`, e);
    }
    if (offline !== undefined || unreachable !== undefined) {
      throw fail(
        file,
        `the cached copy was corrupt (${problem}) and was removed; ` +
          (offline !== undefined ? `offline mode (${offline})` : `the server is unreachable`),
      );
    }
    return undefined;
  };

  const fetchFile = async (file: string): Promise<Uint8Array> => {
    const cached = await fromStore(file);
    if (cached !== undefined) return cached;
    const url = urlOf(file);
    if (offline !== undefined) {
      throw fail(
        file,
        store
          ? `offline mode (${offline}) and the file is not in the cache (${store.pathOf(file)})`
          : `offline mode (${offline}) and ${url} is not cached (URL sources are never cached)`,
      );
    }
    if (unreachable !== undefined) {
      throw fail(
        file,
        store ? `${unreachable}, and the file is not in the cache` : `${unreachable}, at ${url}`,
      );
    }
    const gone = missing.get(file);
    if (gone !== undefined) throw fail(file, gone);
    const target = store?.pathOf(file);
    try {
      const bytes = await download(url, options, {
        sink: store && target !== undefined
          ? (chunks) => store.platform.writeFileAtomic(target, chunks)
          : undefined,
        onProgress: options.onProgress &&
          ((loaded, total) => options.onProgress?.({ file, loaded, total })),
        ...limitOf(file),
        check: (b, type) => checkContent(file, b, type),
      });
      known.set(file, true);
      return bytes;
    } catch (e) {
      if (e instanceof HttpStatusError && (e.status === 404 || e.status === 410)) {
        missing.set(file, e.message);
        known.set(file, false);
      }
      if (e instanceof TransferError && e.noResponse) {
        unreachable = `server unreachable (${e.message})`;
      }
      if (e instanceof ModelLoadError || options.signal?.aborted) throw e;
      throw fail(file, describe(e as Error), e);
    }
  };

  // The repository's file list, asked for once; undefined when the server has none to give.
  let listing: Promise<Set<string> | undefined> | undefined;
  const listed = (): Promise<Set<string> | undefined> => {
    const url = options.listUrl;
    if (!url) return Promise.resolve(undefined);
    listing ??= download(url, { ...options, retries: 0 }, {
      maxBytes: limits.json,
      limitName: "the limit for json files (option readLimits.json)",
    }).then(siblingNames, () => undefined);
    return listing;
  };

  const probe = async (file: string): Promise<boolean> => {
    if (store) {
      try {
        if (await store.platform.exists(store.pathOf(file))) return true;
      } catch (e) {
        throw fail(file, `cannot read the cache: ${(e as Error).message}`, e);
      }
    }
    if (offline !== undefined || unreachable !== undefined) return false;
    const names = await listed();
    if (names) {
      if (!names.has(file)) missing.set(file, `not in the file list of ${id}`);
      return names.has(file);
    }
    try {
      const found = await headExists(urlOf(file), options);
      if (!found) missing.set(file, `HTTP 404 at ${urlOf(file)}`);
      return found;
    } catch (e) {
      if (options.signal?.aborted) throw e;
      if (e instanceof TransferError && e.noResponse) {
        // No server: answer from the cache alone, as offline mode would.
        unreachable = `server unreachable (${e.message})`;
        return false;
      }
      throw new ModelLoadError(
        `Cannot check for ${file} in ${id}: ${describe(e as Error)}`,
        { cause: e },
      );
    }
  };

  return {
    id,
    has: (file) => {
      checkFilePath(file);
      const answer = known.get(file);
      if (answer !== undefined) return Promise.resolve(answer);
      return once(asking, file, async () => {
        const found = await probe(file);
        known.set(file, found);
        return found;
      });
    },
    read: (file) => once(reading, checkFilePath(file), () => fetchFile(file)),
  };
}

/**
 * Shares one in-flight promise per key.
 * @param map in-flight promises
 * @param key what is being done
 * @param run starts the work
 * @returns the shared promise
 */
function once<T>(map: Map<string, Promise<T>>, key: string, run: () => Promise<T>): Promise<T> {
  const pending = map.get(key);
  if (pending) return pending;
  const p = run().finally(() => map.delete(key));
  map.set(key, p);
  return p;
}

/**
 * The message of an HTTP failure, with a hint for refusals.
 * @param e the error
 * @returns text for a ModelLoadError
 */
function describe(e: Error): string {
  if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) {
    return `${e.message} (a private or gated repository, or a missing file in one: ` +
      `pass a token with access)`;
  }
  return e.message;
}
