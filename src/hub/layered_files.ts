/**
 * One ModelFiles view over two sources: each file comes from the first that has it (a joined
 * encoder + decoder model takes its tokenizer from the decoder's folder, its image processor
 * from the encoder's).
 * @module
 */
import type { ModelFiles } from "./model_files.ts";

/**
 * Files of `first`, falling back to `second`.
 * @param first preferred source
 * @param second fallback source
 * @returns the layered view
 */
export function layeredFiles(first: ModelFiles, second: ModelFiles): ModelFiles {
  const pick = async (path: string): Promise<ModelFiles> =>
    (await first.has(path)) ? first : second;
  return {
    id: `${first.id} + ${second.id}`,
    has: async (path) => (await first.has(path)) || (await second.has(path)),
    read: async (path) => (await pick(path)).read(path),
  };
}
