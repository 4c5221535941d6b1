/**
 * Model files in a local folder (Deno, Node; not browsers). Reads go straight to the file
 * system; nothing is cached.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import {
  type FileKind,
  fileKindOf,
  type ReadLimits,
  readLimitTable,
} from "../platform/read_limits.ts";
import type { ModelFiles } from "./model_files.ts";
import { checkFilePath } from "./source.ts";

/**
 * Model files in a folder.
 * @param id the source as the user gave it, for messages
 * @param root the folder's absolute path
 * @param platform the file system
 * @param readLimits per-kind byte limits (default: DEFAULT_READ_LIMITS)
 * @returns a ModelFiles over the folder
 */
export function folderFiles(
  id: string,
  root: string,
  platform: Platform,
  readLimits?: ReadLimits,
): ModelFiles {
  const limits = readLimitTable(readLimits);
  const full = (path: string): string => platform.joinPath(root, ...checkFilePath(path).split("/"));
  const fail = (path: string, what: string, cause?: unknown): ModelLoadError =>
    new ModelLoadError(`Cannot load ${path} from ${id}: ${what}`, { cause });
  return {
    id,
    has: async (path) => {
      const at = full(path);
      try {
        // Anything but a folder counts as present, so that reading it says what it is.
        const info = await platform.stat(at);
        return info !== undefined && !info.isDirectory;
      } catch (e) {
        throw fail(path, (e as Error).message, e);
      }
    },
    read: async (path) => {
      const at = full(path);
      let bytes: Uint8Array | undefined;
      try {
        const info = await platform.stat(at);
        if (info?.isDirectory) throw fail(path, `${at} is a folder, not a file`);
        const kind: FileKind = fileKindOf(path);
        bytes = await platform.readFile(at, {
          maxBytes: limits[kind],
          limitName: `the limit for ${kind} files (option readLimits.${kind})`,
        });
      } catch (e) {
        if (e instanceof ModelLoadError) throw e;
        throw fail(path, (e as Error).message, e);
      }
      if (bytes === undefined) throw fail(path, `no such file (${at})`);
      return bytes;
    },
  };
}
