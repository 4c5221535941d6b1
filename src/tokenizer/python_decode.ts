/**
 * The decode skeleton of Python's slow tokenizers (`PreTrainedTokenizer._decode`, transformers
 * v4.27), shared by the vocab-file tokenizers and the tokenizer.json wrapper: drop special ids if
 * asked, decode runs of vocabulary tokens, keep added tokens verbatim, join the pieces with
 * single spaces (`spaces_between_special_tokens=True`), then optionally clean up spaces.
 * @module
 */
import { cleanUpTokenization } from "./clean_up_tokenization.ts";
import type { DecodeOptions } from "./text_tokenizer.ts";

/** What the skeleton needs from a tokenizer. */
export interface DecodeParts {
  /** Python's all_special_ids. */
  readonly specialIds: ReadonlySet<number>;
  /** Content of a token added outside the vocabulary (added_tokens_decoder), else undefined. */
  addedToken(id: number): string | undefined;
  /** Decodes a run of vocabulary ids (convert_ids_to_tokens + convert_tokens_to_string). */
  decodeRun(ids: number[]): string;
}

/**
 * Decodes ids as Python's `decode` does.
 * @param ids token ids
 * @param parts the tokenizer's pieces
 * @param options skipSpecialTokens (default false), cleanUpTokenizationSpaces (default true)
 * @returns the text
 */
export function pythonDecode(
  ids: ArrayLike<number>,
  parts: DecodeParts,
  options: DecodeOptions = {},
): string {
  const skip = options.skipSpecialTokens ?? false;
  const pieces: string[] = [];
  let run: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id)) throw new TypeError(`Cannot decode token id ${id}: not an integer`);
    if (skip && parts.specialIds.has(id)) continue;
    const added = parts.addedToken(id);
    if (added === undefined) {
      run.push(id);
      continue;
    }
    if (run.length > 0) pieces.push(parts.decodeRun(run));
    run = [];
    pieces.push(added);
  }
  if (run.length > 0) pieces.push(parts.decodeRun(run));
  const text = pieces.join(" ");
  return (options.cleanUpTokenizationSpaces ?? true) ? cleanUpTokenization(text) : text;
}
