/**
 * `resolveModelFiles`: turns what a user names as a model (a folder, a URL, a Hub id) into a
 * ModelFiles. Source strings are classified as source.ts documents.
 *
 * Hub ids are fetched from `{endpoint}/{id}/resolve/{revision}/{file}` and cached under
 * `{cacheDir}/hub/models--{org}--{name}/{revision, URI-encoded}/{file}` (`models--{name}` for
 * ids without an org). The cache is shared by every endpoint (mirrors serve the same files) and
 * a cached file is used without asking the server again, once it passes its content check
 * (content_check.ts; one that fails is removed and fetched again): pin a commit hash as the
 * revision, or delete the folder, to refresh. Base-URL sources are not cached (a URL has no
 * revision to key a cache on). In browsers and Workers the cache lives in the Cache API.
 *
 * Hostile or broken servers: requests time out (`headersTimeoutMs`, `idleTimeoutMs`),
 * redirects are capped (`maxRedirects`), bodies are bounded by their declared size and by the
 * per-kind `readLimits`, LFS files are checked against the Hub's `X-Linked-Size` and sha256
 * `X-Linked-Etag`, and a download enters the cache (under a temporary name, renamed into place)
 * only whole and checked. When the server cannot be reached at all, the cache answers alone
 * for the rest of the session: optional files not in it count as absent, as huggingface_hub
 * does without a connection.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { detectPlatform } from "../platform/detect.ts";
import type { Platform } from "../platform/platform.ts";
import { type ReadLimits, readLimitTable } from "../platform/read_limits.ts";
import { folderFiles } from "./folder_files.ts";
import type { ModelFiles } from "./model_files.ts";
import { type DownloadProgress, remoteFiles } from "./remote_files.ts";
import { classifySource, type ModelSource } from "./source.ts";

/** The Hub used when neither the `endpoint` option nor HF_ENDPOINT says otherwise. */
export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** Options of {@link resolveModelFiles}. */
export interface ResolveModelFilesOptions {
  /** Hub revision: branch, tag or commit. Default "main". */
  revision?: string;
  /** Hub access token, sent as `Authorization: Bearer`. Default: HF_TOKEN env, else none. */
  token?: string;
  /** Hub base URL. Default: HF_ENDPOINT env, else https://huggingface.co. */
  endpoint?: string;
  /** Use only the cache. Default: VEDGE_OFFLINE or HF_HUB_OFFLINE env is 1/true/yes/on. */
  offline?: boolean;
  /** Cache folder. Default: the platform's (`VEDGE_CACHE` env, else the OS cache folder). */
  cacheDir?: string;
  /** Cache Hub downloads. Default true; false fetches every read (offline then fails). */
  cache?: boolean;
  /**
   * Called as download bytes arrive: `{file, loaded, total}` (the Hub-relative file, bytes so
   * far, the expected total or undefined). Exceptions it throws are ignored.
   */
  onProgress?: (progress: DownloadProgress) => void;
  /** Retries after a network error, cut-short body or 5xx (never after 4xx). Default 2. */
  retries?: number;
  /** Delay before the first retry in ms; doubles each time. Default 300. */
  retryDelayMs?: number;
  /** The fetch to use. Default: the global fetch. */
  fetch?: typeof fetch;
  /** The host adapter. Default: detected (Deno, Node, else the Cache API). */
  platform?: Platform;
  /** Cancels downloads. */
  signal?: AbortSignal;
  /**
   * Milliseconds from a request to its response headers, connecting included. Default:
   * HF_HUB_DOWNLOAD_TIMEOUT env (seconds), else 10000 (huggingface_hub's 10 s).
   */
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of a download, in ms. Default as headersTimeoutMs. */
  idleTimeoutMs?: number;
  /** Redirects followed per request. Default 10. */
  maxRedirects?: number;
  /**
   * Per-kind byte limits for reading and downloading files (see DEFAULT_READ_LIMITS):
   * `{json: 1 << 20}` refuses configs over 1 MiB.
   */
  readLimits?: ReadLimits;
}

/** A ModelFiles that also says where its files come from. */
export interface ResolvedModelFiles extends ModelFiles {
  /** The classified source. */
  readonly source: ModelSource;
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);

/**
 * Resolves a model source to its files. A Hub id needs no network here: nothing is fetched
 * until a file is probed or read.
 * @param source a folder path, file: or http(s) URL, or Hub id ("org/name" or "name")
 * @param options revision, token, endpoint, offline, cache, progress, retries, platform
 * @returns the model's files
 * @example
 * ```ts ignore
 * const files = await resolveModelFiles("nlpconnect/vit-gpt2-image-captioning");
 * const config = await readJson(files, "config.json");
 * ```
 */
export async function resolveModelFiles(
  source: string | URL,
  options: ResolveModelFilesOptions = {},
): Promise<ResolvedModelFiles> {
  const platform = options.platform ?? await detectPlatform();
  const classified = await classifySource(source, platform);
  const id = source instanceof URL ? source.href : source;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 300;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`retries must be a whole number >= 0, got ${retries}`);
  }
  if (!(retryDelayMs >= 0)) throw new RangeError(`retryDelayMs must be >= 0, got ${retryDelayMs}`);
  for (const k of ["headersTimeoutMs", "idleTimeoutMs"] as const) {
    const v = options[k];
    if (v !== undefined && !(typeof v === "number" && v > 0 && v <= 2 ** 31 - 1)) {
      throw new RangeError(`${k} must be a number of ms > 0, got ${v}`);
    }
  }
  const maxRedirects = options.maxRedirects;
  if (maxRedirects !== undefined && !(Number.isInteger(maxRedirects) && maxRedirects >= 0)) {
    throw new RangeError(`maxRedirects must be a whole number >= 0, got ${maxRedirects}`);
  }
  readLimitTable(options.readLimits); // checked here, before anything is fetched
  // huggingface_hub's HF_HUB_DOWNLOAD_TIMEOUT (seconds) sets both timeouts when no option does.
  const envSeconds = Number(nonEmpty(platform.env("HF_HUB_DOWNLOAD_TIMEOUT")) ?? NaN);
  const envMs = envSeconds > 0 && envSeconds <= 2_000_000 ? envSeconds * 1000 : undefined;
  const http = {
    retries,
    retryDelayMs,
    signal: options.signal,
    headersTimeoutMs: options.headersTimeoutMs ?? envMs,
    idleTimeoutMs: options.idleTimeoutMs ?? envMs,
    maxRedirects,
    readLimits: options.readLimits,
    onProgress: options.onProgress,
  };

  if (classified.kind === "folder") {
    const info = await platform.stat(classified.path);
    if (!info?.isDirectory) {
      throw new ModelLoadError(
        `Cannot load a model from ${id}: no such folder (${classified.path})`,
      );
    }
    return {
      ...folderFiles(id, classified.path, platform, options.readLimits),
      source: classified,
    };
  }

  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const offline = offlineReason(options, platform);
  if (classified.kind === "url") {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const files = remoteFiles({
      id,
      urlOf: (file) => `${classified.base}/${encodePath(file)}`,
      offline,
      fetch: fetchFn,
      headers,
      ...http,
    });
    return { ...files, source: classified };
  }

  const revision = options.revision ?? "main";
  if (revision === "" || revision === "." || revision === ".." || revision.includes("\\")) {
    throw new TypeError(`Invalid Hub revision "${revision}" for ${id}`);
  }
  const endpoint = (options.endpoint ?? nonEmpty(platform.env("HF_ENDPOINT")) ??
    DEFAULT_HUB_ENDPOINT).replace(/\/+$/, "");
  if (!/^https?:\/\//i.test(endpoint)) {
    throw new TypeError(`Hub endpoint must be an http(s) URL, got "${endpoint}"`);
  }
  const token = options.token ?? nonEmpty(platform.env("HF_TOKEN"));
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const resolveBase = `${endpoint}/${classified.id}/resolve/${encodeURIComponent(revision)}`;
  let store;
  if (options.cache ?? true) {
    const root = platform.joinPath(
      options.cacheDir ?? platform.cacheDir(),
      "hub",
      `models--${classified.id.replace("/", "--")}`,
      encodeURIComponent(revision),
    );
    store = { platform, pathOf: (file: string) => platform.joinPath(root, ...file.split("/")) };
  }
  const files = remoteFiles({
    id,
    urlOf: (file) => `${resolveBase}/${encodePath(file)}`,
    // one request for the file list instead of one HEAD per optional file (quiet in browsers)
    listUrl: `${endpoint}/api/models/${classified.id}/revision/${encodeURIComponent(revision)}`,
    store,
    offline,
    fetch: fetchFn,
    headers,
    ...http,
  });
  return { ...files, source: classified };
}

/**
 * Why the resolver is offline, or undefined when it is not.
 * @param options the `offline` option wins over the environment
 * @param platform reads VEDGE_OFFLINE and HF_HUB_OFFLINE
 * @returns a reason for messages
 */
function offlineReason(options: ResolveModelFilesOptions, platform: Platform): string | undefined {
  if (options.offline !== undefined) return options.offline ? "offline: true" : undefined;
  for (const name of ["VEDGE_OFFLINE", "HF_HUB_OFFLINE"]) {
    const v = platform.env(name);
    if (v !== undefined && TRUE_WORDS.has(v.trim().toLowerCase())) return `${name}=${v}`;
  }
  return undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

function encodePath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}
