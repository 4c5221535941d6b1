/**
 * The Node adapter (also Bun and other hosts with node:fs/promises). Node modules are imported
 * when the adapter is created, never when this file is imported, so browser bundles stay clean.
 * @module
 */
import {
  defaultCacheDir,
  type FileInfo,
  type FileType,
  joinWith,
  notAFile,
  PermissionDeniedError,
  type Platform,
  readBounded,
  tempSuffix,
} from "./platform.ts";

/** The stat methods the adapter asks. */
interface NodeStats {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

function nodeFileType(s: NodeStats): FileType {
  if (s.isFile()) return "file";
  if (s.isDirectory()) return "directory";
  if (s.isFIFO()) return "fifo";
  if (s.isCharacterDevice()) return "char-device";
  if (s.isBlockDevice()) return "block-device";
  if (s.isSocket()) return "socket";
  return "other";
}

/**
 * Whether this host looks able to run the Node adapter (a capability check, no side effect).
 * @returns true when `process.versions.node` is present
 */
export function hasNodeApis(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === "string";
}

const codeOf = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/**
 * Turns EACCES/EPERM into a PermissionDeniedError naming the path.
 * @param what "read" or "write"
 * @param path the path
 * @param e what Node threw
 * @returns the error to throw
 */
function mapError(what: string, path: string, e: unknown): unknown {
  const code = codeOf(e);
  if (code === "EACCES" || code === "EPERM") {
    return new PermissionDeniedError(
      `Cannot ${what} ${path}: the operating system refused (${code}); check the file's permissions`,
      { cause: e },
    );
  }
  return e;
}

/**
 * Creates the Node adapter.
 * @returns a Platform over node:fs/promises, node:path, node:os and node:url
 */
export async function createNodePlatform(): Promise<Platform> {
  const fs = await import("node:fs/promises");
  const pathMod = await import("node:path");
  const osMod = await import("node:os");
  const url = await import("node:url");
  const proc = (await import("node:process")).default;
  const os = proc.platform;
  const env = (name: string): string | undefined => proc.env[name];
  const join = (...parts: string[]): string => joinWith(pathMod.sep, parts);
  const stat = async (path: string): Promise<FileInfo | undefined> => {
    try {
      const s = await fs.stat(path);
      return {
        isFile: s.isFile(),
        isDirectory: s.isDirectory(),
        size: s.size,
        type: nodeFileType(s),
      };
    } catch (e) {
      if (codeOf(e) === "ENOENT" || codeOf(e) === "ENOTDIR") return undefined;
      throw mapError("read", path, e);
    }
  };
  const mkdirp = async (path: string): Promise<void> => {
    try {
      await fs.mkdir(path, { recursive: true });
    } catch (e) {
      throw mapError("write", path, e);
    }
  };
  return {
    name: "node",
    hasFileSystem: true,
    readFile: async (path, options = {}) => {
      // stat before open (opening a FIFO for reading blocks), and O_NONBLOCK where the OS has
      // it, so a FIFO swapped in between cannot block either.
      const info = await stat(path);
      if (info === undefined) return undefined;
      if (!info.isFile) throw notAFile(path, info.type);
      const c = fs.constants;
      const flags = c.O_NONBLOCK === undefined ? "r" : c.O_RDONLY | c.O_NONBLOCK;
      let fh;
      try {
        fh = await fs.open(path, flags);
      } catch (e) {
        if (codeOf(e) === "ENOENT" || codeOf(e) === "ENOTDIR") return undefined;
        throw mapError("read", path, e);
      }
      try {
        const s = await fh.stat();
        if (!s.isFile()) throw notAFile(path, nodeFileType(s));
        return await readBounded(
          async (p) => (await fh.read(p, 0, p.length, null)).bytesRead,
          s.size,
          path,
          options,
        );
      } catch (e) {
        throw mapError("read", path, e);
      } finally {
        await fh.close();
      }
    },
    writeFileAtomic: async (path, data) => {
      await mkdirp(pathMod.dirname(path));
      const tmp = path + tempSuffix();
      try {
        const fh = await fs.open(tmp, "wx");
        try {
          if (data instanceof Uint8Array) await fh.writeFile(data);
          else {
            for await (const chunk of data) {
              let off = 0;
              while (off < chunk.length) {
                off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
              }
            }
          }
        } finally {
          await fh.close();
        }
        await fs.rename(tmp, path);
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        throw mapError("write", path, e);
      }
    },
    mkdirp,
    stat,
    rename: async (from, to) => {
      try {
        await fs.rename(from, to);
      } catch (e) {
        throw mapError("write", to, e);
      }
    },
    readDir: async (path) => {
      try {
        return await fs.readdir(path);
      } catch (e) {
        throw mapError("read", path, e);
      }
    },
    realPath: async (path) => {
      try {
        return await fs.realpath(path);
      } catch (e) {
        throw mapError("read", path, e);
      }
    },
    exists: async (path) => (await stat(path)) !== undefined,
    remove: async (path) => {
      try {
        await fs.rm(path, { recursive: true, force: true });
      } catch (e) {
        throw mapError("write", path, e);
      }
    },
    env,
    cacheDir: () =>
      defaultCacheDir({
        os,
        env: (name) => env(name) ?? (name === "HOME" ? osMod.homedir() : undefined),
        join,
      }),
    joinPath: join,
    resolvePath: (path) => pathMod.resolve(path),
    pathFromFileUrl: (u) => url.fileURLToPath(u),
  };
}
