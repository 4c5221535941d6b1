/**
 * Model files in a local folder (Deno, Node; not browsers). Reads go straight to the file
 * system; nothing is cached.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import type { ModelFiles } from "./model_files.ts";
import { checkFilePath } from "./source.ts";

/**
 * Model files in a folder.
 * @param id the source as the user gave it, for messages
 * @param root the folder's absolute path
 * @param platform the file system
 * @returns a ModelFiles over the folder
 */
export function folderFiles(id: string, root: string, platform: Platform): ModelFiles {
  const full = (path: string): string => platform.joinPath(root, ...checkFilePath(path).split("/"));
  const fail = (path: string, what: string, cause?: unknown): ModelLoadError =>
    new ModelLoadError(`Cannot load ${path} from ${id}: ${what}`, { cause });
  return {
    id,
    has: async (path) => {
      const at = full(path);
      try {
        return (await platform.stat(at))?.isFile === true;
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
        bytes = await platform.readFile(at);
      } catch (e) {
        if (e instanceof ModelLoadError) throw e;
        throw fail(path, (e as Error).message, e);
      }
      if (bytes === undefined) throw fail(path, `no such file (${at})`);
      return bytes;
    },
  };
}
