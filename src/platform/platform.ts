/**
 * What vedge needs from the host: a small file system (or a stand-in for one), environment
 * variables and a cache folder. Each runtime's differences live in one adapter (deno.ts, node.ts,
 * web.ts); everything else in vedge talks only to this interface.
 * @module
 */
import { VedgeError } from "../errors.ts";

/** What `stat` reports about an existing path. */
export interface FileInfo {
  /** True for a regular file. */
  readonly isFile: boolean;
  /** True for a folder. */
  readonly isDirectory: boolean;
  /** Size in bytes (0 for folders). */
  readonly size: number;
}

/** The host services vedge uses. Paths are the platform's own (absolute or relative to cwd). */
export interface Platform {
  /** Which adapter this is: "deno", "node" or "web". */
  readonly name: "deno" | "node" | "web";
  /** False where there is no real file system (browsers, Workers): local folders cannot load. */
  readonly hasFileSystem: boolean;
  /**
   * Reads a whole file.
   * @param path file path
   * @returns its bytes, or undefined when it does not exist
   */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /**
   * Writes a file atomically: into a temporary file beside it, then renamed over `path`. If the
   * data source throws, the temporary file is removed, `path` is left as it was, and the error
   * is rethrown. Parent folders are created.
   * @param path destination
   * @param data the bytes, whole or as chunks
   * @returns when the file is in place
   */
  writeFileAtomic(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /**
   * Creates a folder and its parents; an existing folder is fine.
   * @param path folder path
   * @returns when it exists
   */
  mkdirp(path: string): Promise<void>;
  /**
   * Describes a path.
   * @param path any path
   * @returns its info, or undefined when nothing is there
   */
  stat(path: string): Promise<FileInfo | undefined>;
  /**
   * Whether anything exists at a path.
   * @param path any path
   * @returns true when it exists
   */
  exists(path: string): Promise<boolean>;
  /**
   * Removes a file or folder (recursively); an absent path is fine.
   * @param path what to remove
   * @returns when it is gone
   */
  remove(path: string): Promise<void>;
  /**
   * Reads an environment variable.
   * @param name variable name
   * @returns its value, or undefined when unset
   */
  env(name: string): string | undefined;
  /**
   * The folder vedge caches downloads in: `VEDGE_CACHE` when set, else the platform's cache
   * folder ($XDG_CACHE_HOME/vedge or ~/.cache/vedge on Linux, ~/Library/Caches/vedge on macOS,
   * %LOCALAPPDATA%\vedge on Windows; a virtual root in the Cache API on the web).
   * @returns the folder path
   */
  cacheDir(): string;
  /**
   * Joins path segments with the platform's separator.
   * @param parts segments; later absolute segments do not reset the result
   * @returns the joined path
   */
  joinPath(...parts: string[]): string;
  /**
   * Makes a path absolute against the current folder.
   * @param path any path
   * @returns the absolute path
   */
  resolvePath(path: string): string;
  /**
   * Converts a `file:` URL to a platform path.
   * @param url a file: URL
   * @returns the path
   */
  pathFromFileUrl(url: URL): string;
}

/** The host refused an operation (Deno permissions, EACCES); the message says how to allow it. */
export class PermissionDeniedError extends VedgeError {
  /** @param message what was refused and how to allow it @param options cause */
  constructor(message: string, options?: ErrorOptions) {
    super("PERMISSION_DENIED", message, options);
  }
}

/** Inputs of {@link defaultCacheDir}, gathered by each adapter. */
export interface CacheDirInputs {
  /** "linux", "darwin", "windows" or any other OS name. */
  os: string;
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** Joins path segments. */
  join: (...parts: string[]) => string;
}

/**
 * Picks the cache folder from the environment, the same way on every adapter with a file system.
 * @param inputs OS name, env reader and path joiner
 * @returns the cache folder
 */
export function defaultCacheDir(inputs: CacheDirInputs): string {
  const { os, env, join } = inputs;
  const set = (name: string): string | undefined => {
    const v = env(name);
    return v === undefined || v === "" ? undefined : v;
  };
  const explicit = set("VEDGE_CACHE");
  if (explicit) return explicit;
  if (os === "windows" || os === "win32") {
    const local = set("LOCALAPPDATA");
    if (local) return join(local, "vedge");
    const profile = set("USERPROFILE");
    if (profile) return join(profile, "AppData", "Local", "vedge");
  } else {
    const home = set("HOME");
    if (os === "darwin" && home) return join(home, "Library", "Caches", "vedge");
    const xdg = set("XDG_CACHE_HOME");
    if (xdg) return join(xdg, "vedge");
    if (home) return join(home, ".cache", "vedge");
  }
  throw new Error(
    `Cannot choose a cache folder on ${os}: no VEDGE_CACHE and no home folder in the environment; ` +
      `set VEDGE_CACHE or pass a cacheDir option`,
  );
}

/**
 * Joins path segments with a separator, dropping empty segments and doubled separators.
 * @param sep "/" or "\\"
 * @param parts segments
 * @returns the joined path
 */
export function joinWith(sep: string, parts: string[]): string {
  const kept = parts.filter((p) => p !== "");
  if (kept.length === 0) return ".";
  const trim = (s: string, i: number): string => {
    let out = s;
    if (i > 0) { while (out.startsWith("/") || out.startsWith(sep)) out = out.slice(1); }
    if (i < kept.length - 1) {
      while (out.length > 1 && (out.endsWith("/") || out.endsWith(sep))) out = out.slice(0, -1);
    }
    return out;
  };
  return kept.map(trim).filter((p) => p !== "").join(sep);
}

/**
 * Resolves `.` and `..` segments of an absolute path and removes doubled separators.
 * @param sep "/" or "\\" (Windows paths may also use "/")
 * @param path an absolute path ("/a/./b", "C:\\a\\..\\b", "\\\\server\\share\\x")
 * @returns the normalised path
 */
export function normalizeAbsolute(sep: string, path: string): string {
  const m = sep === "\\" ? path.match(/^([a-zA-Z]:|[\\/]{2}[^\\/]+[\\/][^\\/]+)?/) : null;
  const prefix = m?.[0] ?? "";
  const segs: string[] = [];
  for (const s of path.slice(prefix.length).split(sep === "\\" ? /[\\/]/ : "/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") segs.pop();
    else segs.push(s);
  }
  return prefix.replaceAll("/", sep) + sep + segs.join(sep);
}

/**
 * A fresh suffix for temporary files, unique enough for concurrent writers of one path.
 * @returns e.g. ".k3j2h1g0f9.tmp"
 */
export function tempSuffix(): string {
  const r = crypto.getRandomValues(new Uint32Array(2));
  return `.${r[0].toString(36)}${r[1].toString(36)}.tmp`;
}
