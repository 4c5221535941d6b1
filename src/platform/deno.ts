/**
 * The Deno adapter: Deno's file and environment APIs, with permission refusals turned into
 * PermissionDeniedError messages that name the flag to add.
 * @module
 */
import {
  defaultCacheDir,
  type FileInfo,
  type FileType,
  joinWith,
  normalizeAbsolute,
  notAFile,
  PermissionDeniedError,
  type Platform,
  readBounded,
  tempSuffix,
} from "./platform.ts";

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The part of the `Deno` namespace this adapter uses, declared here so that the library
 * type-checks with a DOM-only lib (platform_test.ts checks that the real `Deno` fits it).
 */
export interface DenoApi {
  /** Host facts. */
  build: { os: string };
  /** Error classes. */
  errors: { NotFound: ErrorClass; PermissionDenied: ErrorClass; NotCapable?: ErrorClass };
  /** Environment variables. */
  env: { get(name: string): string | undefined };
  /** Reads a file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a file. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Opens a file. */
  open(
    path: string,
    options: { read?: boolean; write?: boolean; createNew?: boolean },
  ): Promise<DenoFile>;
  /** Lists a folder. */
  readDir(path: string): AsyncIterable<{ name: string }>;
  /** Resolves symbolic links. */
  realPath(path: string): Promise<string>;
  /** Renames (atomically, within one file system). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a path. */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Creates a folder. */
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  /** Describes a path. */
  stat(path: string): Promise<DenoStat>;
  /** The current folder. */
  cwd(): string;
}

/** What Deno's stat reports (the Unix-only fields are null elsewhere). */
export interface DenoStat {
  /** Regular file. */
  isFile: boolean;
  /** Folder. */
  isDirectory: boolean;
  /** Bytes. */
  size: number;
  /** Named pipe (Unix). */
  isFifo?: boolean | null;
  /** Character device (Unix). */
  isCharDevice?: boolean | null;
  /** Block device (Unix). */
  isBlockDevice?: boolean | null;
  /** Socket (Unix). */
  isSocket?: boolean | null;
}

/** An open Deno file, as far as the adapter uses it. */
export interface DenoFile {
  /** Reads into `p`; null at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes from `p`. */
  write(p: Uint8Array): Promise<number>;
  /** Describes the open file. */
  stat(): Promise<DenoStat>;
  /** Closes it. */
  close(): void;
}

/**
 * What a Deno stat says a path is.
 * @param s Deno's stat
 * @returns the FileType
 */
export function denoFileType(s: DenoStat): FileType {
  if (s.isFile) return "file";
  if (s.isDirectory) return "directory";
  if (s.isFifo) return "fifo";
  if (s.isCharDevice) return "char-device";
  if (s.isBlockDevice) return "block-device";
  if (s.isSocket) return "socket";
  return "other";
}

/**
 * Whether this host offers the Deno APIs the adapter uses (a capability check, no side effect).
 * @returns true on Deno
 */
export function hasDenoApis(): boolean {
  const d = (globalThis as { Deno?: { readFile?: unknown; build?: unknown } }).Deno;
  return typeof d?.readFile === "function" && typeof d.build === "object";
}

/**
 * The host's `Deno` namespace.
 * @returns it, typed as far as this adapter uses it
 */
function denoApi(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

function isPermissionError(e: unknown): boolean {
  const errors = denoApi().errors;
  return (errors.NotCapable !== undefined && e instanceof errors.NotCapable) ||
    e instanceof errors.PermissionDenied;
}

/**
 * Runs a Deno call, turning permission refusals into clear messages.
 * @param what "read", "write" or "env"
 * @param target the path or variable
 * @param fn the call
 * @returns what the call returns
 */
async function guard<T>(what: "read" | "write", target: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw permissionError(what, target, e) ?? e;
  }
}

/**
 * Builds the clear message for a Deno permission refusal.
 * @param what permission kind ("read", "write", "env")
 * @param target path or variable
 * @param e what Deno threw
 * @returns the PermissionDeniedError, or undefined when `e` is not a permission refusal
 */
function permissionError(what: string, target: string, e: unknown): Error | undefined {
  if (!isPermissionError(e)) return undefined;
  const verb = what === "env" ? "read environment variable" : what;
  return new PermissionDeniedError(
    `Cannot ${verb} ${target}: Deno refused (${(e as Error).message}); ` +
      `run with --allow-${what} (or --allow-${what}=${target})`,
    { cause: e },
  );
}

/**
 * Creates the Deno adapter.
 * @returns a Platform over Deno's APIs
 */
export function createDenoPlatform(): Platform {
  const Deno = denoApi();
  const os = Deno.build.os;
  const sep = os === "windows" ? "\\" : "/";
  const join = (...parts: string[]): string => joinWith(sep, parts);
  const env = (name: string): string | undefined => {
    try {
      return Deno.env.get(name);
    } catch (e) {
      throw permissionError("env", name, e) ?? e;
    }
  };
  const isAbsolute = (p: string): boolean =>
    os === "windows" ? /^([a-zA-Z]:[\\/]|[\\/]{2})/.test(p) : p.startsWith("/");
  const stat = (path: string): Promise<FileInfo | undefined> =>
    guard("read", path, async () => {
      try {
        const s = await Deno.stat(path);
        return {
          isFile: s.isFile,
          isDirectory: s.isDirectory,
          size: s.size,
          type: denoFileType(s),
        };
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return undefined;
        throw e;
      }
    });
  const mkdirp = (path: string): Promise<void> =>
    guard("write", path, () => Deno.mkdir(path, { recursive: true }));
  const remove = (path: string): Promise<void> =>
    guard("write", path, async () => {
      try {
        await Deno.remove(path, { recursive: true });
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    });
  const parentOf = (path: string): string => {
    const i = Math.max(path.lastIndexOf("/"), os === "windows" ? path.lastIndexOf("\\") : -1);
    return i <= 0 ? (i === 0 ? sep : ".") : path.slice(0, i);
  };
  return {
    name: "deno",
    hasFileSystem: true,
    readFile: (path, options = {}) =>
      guard("read", path, async () => {
        // stat before open: opening a FIFO for reading blocks until a writer comes.
        const info = await stat(path);
        if (info === undefined) return undefined;
        if (!info.isFile) throw notAFile(path, info.type);
        let file: DenoFile;
        try {
          file = await Deno.open(path, { read: true });
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) return undefined;
          throw e;
        }
        try {
          const s = await file.stat(); // the file opened, in case the path changed meanwhile
          if (!s.isFile) throw notAFile(path, denoFileType(s));
          return await readBounded((p) => file.read(p), s.size, path, options);
        } finally {
          file.close();
        }
      }),
    writeFileAtomic: async (path, data) => {
      await mkdirp(parentOf(path));
      const tmp = path + tempSuffix();
      try {
        await guard("write", tmp, async () => {
          if (data instanceof Uint8Array) {
            await Deno.writeFile(tmp, data);
            return;
          }
          const file = await Deno.open(tmp, { write: true, createNew: true });
          try {
            for await (const chunk of data) {
              let off = 0;
              while (off < chunk.length) off += await file.write(chunk.subarray(off));
            }
          } finally {
            file.close();
          }
        });
        await guard("write", path, () => Deno.rename(tmp, path));
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
    },
    mkdirp,
    stat,
    rename: (from, to) => guard("write", to, () => Deno.rename(from, to)),
    readDir: (path) =>
      guard("read", path, async () => {
        const names: string[] = [];
        for await (const e of Deno.readDir(path)) names.push(e.name);
        return names;
      }),
    realPath: (path) => guard("read", path, () => Deno.realPath(path)),
    exists: async (path) => (await stat(path)) !== undefined,
    remove,
    env,
    cacheDir: () => defaultCacheDir({ os, env, join }),
    joinPath: join,
    resolvePath: (path) => {
      if (isAbsolute(path)) return normalizeAbsolute(sep, path);
      const cwd = guard0("read", "the current folder", () => Deno.cwd());
      return normalizeAbsolute(sep, join(cwd, path));
    },
    pathFromFileUrl: (url) => fileUrlToPath(url, os === "windows"),
  };
}

/**
 * The synchronous twin of {@link guard}.
 * @param what permission kind
 * @param target path or variable
 * @param fn the call
 * @returns what the call returns
 */
function guard0<T>(what: string, target: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw permissionError(what, target, e) ?? e;
  }
}

/**
 * Converts a file: URL to a path (POSIX or Windows rules).
 * @param url a file: URL
 * @param windows whether to produce a Windows path
 * @returns the path
 */
export function fileUrlToPath(url: URL, windows: boolean): string {
  if (url.protocol !== "file:") throw new TypeError(`Expected a file: URL, got ${url.href}`);
  const path = decodeURIComponent(url.pathname);
  if (!windows) {
    if (url.hostname !== "" && url.hostname !== "localhost") {
      throw new TypeError(`Cannot use file URL ${url.href}: a host is only allowed on Windows`);
    }
    return path;
  }
  const win = path.replaceAll("/", "\\");
  if (url.hostname !== "") return `\\\\${url.hostname}${win}`;
  return /^\\[a-zA-Z]:/.test(win) ? win.slice(1) : win;
}
