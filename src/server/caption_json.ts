/**
 * The JSON object of one captioned image, the CLI's `--json` line (DESIGN.md, "CLI"):
 * `{"image", "sequences": [{"text", "token_ids", "score"}]}` with Python's snake_case names.
 * @module
 */
import type { CaptionResult } from "../pipeline/image_to_text.ts";

/** One image's answer. */
export interface CaptionJson {
  image: string;
  sequences: { text: string; token_ids: number[]; score: number | null }[];
}

/**
 * Shapes one image's result as the CLI prints it with --json.
 * @param image the image's name as given
 * @param result the pipeline's result for it
 * @returns the JSON object
 * @example
 * ```ts
 * import { captionJson } from "./caption_json.ts";
 * const j = captionJson("-", { sequences: [{ text: "a cat", tokenIds: [2, 9, 2], score: null }] });
 * console.assert(j.sequences[0].token_ids.length === 3);
 * ```
 */
export function captionJson(image: string, result: CaptionResult): CaptionJson {
  return {
    image,
    sequences: result.sequences.map((s) => ({
      text: s.text,
      token_ids: s.tokenIds,
      score: s.score,
    })),
  };
}
