/**
 * What vedge needs from the host: a small file system (or a stand-in for one), environment
 * variables and a cache folder. Each runtime's differences live in one adapter (deno.ts, node.ts,
 * web.ts); everything else in vedge talks only to this interface.
 * @module
 */
import { VedgeError } from "../errors.ts";
import {
  DEFAULT_READ_LIMITS,
  FILE_TYPE_WORDS,
  FileTooLargeError,
  formatBytes,
  NotAFileError,
} from "./read_limits.ts";

/** What a path is (symbolic links are followed). */
export type FileType =
  | "file"
  | "directory"
  | "fifo"
  | "char-device"
  | "block-device"
  | "socket"
  | "other";

/** What `stat` reports about an existing path. */
export interface FileInfo {
  /** True for a regular file. */
  readonly isFile: boolean;
  /** True for a folder. */
  readonly isDirectory: boolean;
  /** Size in bytes (0 for folders). */
  readonly size: number;
  /** What it is; FIFOs, devices and sockets are never read. */
  readonly type: FileType;
}

/** Options of {@link Platform.readFile}. */
export interface ReadFileOptions {
  /**
   * Refuse (FileTooLargeError) a file larger than this, and stop reading one that grows past
   * it while it is read. Default: `DEFAULT_READ_LIMITS.other` (1 GiB).
   */
  maxBytes?: number;
  /** What the limit is, for the message, e.g. "the image limit (option maxFileBytes)". */
  limitName?: string;
}

/** The host services vedge uses. Paths are the platform's own (absolute or relative to cwd). */
export interface Platform {
  /** Which adapter this is: "deno", "node" or "web". */
  readonly name: "deno" | "node" | "web";
  /** False where there is no real file system (browsers, Workers): local folders cannot load. */
  readonly hasFileSystem: boolean;
  /**
   * Reads a whole regular file, bounded: anything else (a FIFO, a device such as /dev/zero, a
   * folder, a socket, symbolic links followed) is refused with NotAFileError before it is
   * opened for reading, and a file over `maxBytes` (or growing past it while read) with
   * FileTooLargeError.
   * @param path file path
   * @param options the byte limit
   * @returns its bytes, or undefined when it does not exist
   */
  readFile(path: string, options?: ReadFileOptions): Promise<Uint8Array | undefined>;
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
   * Renames a file or folder within one file system (atomic there); replaces an existing file,
   * or an empty folder where the host allows it.
   * @param from current path
   * @param to new path
   * @returns when it is renamed
   */
  rename(from: string, to: string): Promise<void>;
  /**
   * Lists a folder.
   * @param path folder path
   * @returns the names of its entries (not paths), unsorted
   */
  readDir(path: string): Promise<string[]>;
  /**
   * The canonical absolute path, symbolic links resolved.
   * @param path an existing path
   * @returns the canonical path
   */
  realPath(path: string): Promise<string>;
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

/** The default `maxBytes` of readFile: `DEFAULT_READ_LIMITS.other`. */
export const DEFAULT_MAX_READ: number = DEFAULT_READ_LIMITS.other;

/**
 * The refusal of a path that is not a regular file.
 * @param path the path
 * @param type what it is
 * @returns the error to throw
 */
export function notAFile(path: string, type: FileType): NotAFileError {
  return new NotAFileError(
    `Cannot read ${path}: it is ${
      FILE_TYPE_WORDS[type] ?? "not a regular file"
    }, not a regular file`,
  );
}

/**
 * The refusal of a file over its limit.
 * @param path the path
 * @param size its size (or the bytes read so far, with `grew`)
 * @param options the limit and its name
 * @param grew whether the file grew past the limit while being read
 * @returns the error to throw
 */
export function tooLarge(
  path: string,
  size: number,
  options: ReadFileOptions,
  grew = false,
): FileTooLargeError {
  const max = options.maxBytes ?? DEFAULT_MAX_READ;
  const what = grew ? `it grew past ${formatBytes(max)} while being read` : `${formatBytes(size)}`;
  return new FileTooLargeError(
    `Cannot read ${path}: ${what}${grew ? "" : ` exceeds ${formatBytes(max)}`}, ` +
      `${options.limitName ?? "the read limit"}`,
  );
}

/**
 * Reads an open file to its end, never past a limit: the buffer is sized by the file's size at
 * open time, and a file that keeps growing (or reports size 0, as /proc files do) is read on in
 * chunks only while the total stays within `maxBytes`.
 * @param read reads into a buffer, returning the byte count or null at the end
 * @param size the file's size when opened
 * @param path for messages
 * @param options the limit
 * @returns the bytes
 */
export async function readBounded(
  read: (into: Uint8Array) => Promise<number | null>,
  size: number,
  path: string,
  options: ReadFileOptions,
): Promise<Uint8Array> {
  const max = options.maxBytes ?? DEFAULT_MAX_READ;
  if (size > max) throw tooLarge(path, size, options);
  const first = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    const got = await read(first.subarray(n));
    if (got === null || got === 0) return first.subarray(0, n); // shrank while being read
    n += got;
  }
  const more: Uint8Array[] = [];
  let total = n;
  for (;;) {
    const chunk = new Uint8Array(Math.min(1 << 16, max - total + 1));
    const got = await read(chunk);
    if (got === null || got === 0) break;
    total += got;
    if (total > max) throw tooLarge(path, total, options, true);
    more.push(chunk.subarray(0, got));
  }
  if (more.length === 0) return first;
  const out = new Uint8Array(total);
  out.set(first);
  let off = n;
  for (const m of more) (out.set(m, off), off += m.length);
  return out;
}
