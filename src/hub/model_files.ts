/**
 * The one view every later stage has of a model: named files (Hub-relative paths such as
 * `config.json` or `onnx/encoder_model.onnx`) that can be probed and read. Where they come from
 * (a folder, a URL, the Hub, a cache, memory) is src/hub's business.
 * @module
 */
import { ModelLoadError } from "../errors.ts";

/** Read access to the files of one model repository. */
export interface ModelFiles {
  /** The source as the user gave it, for messages. */
  readonly id: string;
  /** Whether the file exists (a HEAD or stat; never throws for "absent"). */
  has(path: string): Promise<boolean>;
  /** The whole file; throws ModelLoadError naming the file and the source when absent or bad. */
  read(path: string): Promise<Uint8Array>;
}

/**
 * Reads a file as UTF-8 text.
 * @param files the model's files
 * @param path Hub-relative path
 * @returns the text
 */
export async function readText(files: ModelFiles, path: string): Promise<string> {
  return new TextDecoder().decode(await files.read(path));
}

/**
 * Reads and parses a JSON file; a parse failure is a ModelLoadError naming the file.
 * @param files the model's files
 * @param path Hub-relative path
 * @returns the parsed value
 */
export async function readJson<T = unknown>(files: ModelFiles, path: string): Promise<T> {
  const text = await readText(files, path);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelLoadError(
      `Cannot load ${path} from ${files.id}: not valid JSON (${(e as Error).message})`,
      { cause: e },
    );
  }
}

/**
 * Model files held in memory (tests, models built at run time).
 * @param id name for messages
 * @param entries path -> bytes or text
 * @returns a ModelFiles over the map
 */
export function memoryFiles(id: string, entries: Record<string, Uint8Array | string>): ModelFiles {
  const enc = new TextEncoder();
  return {
    id,
    has: (path) => Promise.resolve(path in entries),
    read: (path) => {
      const v = entries[path];
      if (v === undefined) {
        return Promise.reject(new ModelLoadError(`Cannot load ${path} from ${id}: no such file`));
      }
      return Promise.resolve(typeof v === "string" ? enc.encode(v) : v);
    },
  };
}
