/**
 * Undoing batch padding. Python's generate() pads every sequence of a batch to the batch's
 * longest (greedy: pad_token_id after a row's EOS; beam search: `sequence_max_len =
 * min(max(sent_lengths) + 1, max_length)` over the whole batch). Run alone, an image's
 * sequences are only as long as its own longest. A server that batches unrelated requests must
 * answer what each would get alone, so each image's sequences are cut back to the length its own
 * sequences need: the first EOS after the prompt ends a sequence (the positions after it are
 * padding alone and in a batch alike).
 * @module
 */
import type { CaptionResult } from "../pipeline/image_to_text.ts";

/**
 * Length a sequence has on its own: through its first EOS after the prompt, else all of it.
 * @param ids the sequence (prompt first)
 * @param eos the EOS ids
 * @param promptLength decoder prompt length (1: the start token)
 * @returns its own length
 */
export function ownLength(
  ids: readonly number[],
  eos: readonly number[],
  promptLength: number,
): number {
  for (let i = promptLength; i < ids.length; i++) if (eos.includes(ids[i])) return i + 1;
  return ids.length;
}

/**
 * One image's result as it would be alone: sequences cut to the longest own length, and texts of
 * cut sequences decoded again.
 * @param result the image's result from a batch
 * @param eos the EOS ids of the generation config
 * @param decode the tokenizer's decode with special tokens skipped
 * @param promptLength decoder prompt length (default 1)
 * @returns the result alone (the same object when nothing was cut)
 * @example
 * ```ts
 * import { unpadResult } from "./unpad.ts";
 * const r = { sequences: [{ text: "a", tokenIds: [2, 5, 2, 1, 1], score: null }] };
 * const alone = unpadResult(r, [2], () => "a");
 * console.assert(alone.sequences[0].tokenIds.length === 3);
 * ```
 */
export function unpadResult(
  result: CaptionResult,
  eos: readonly number[],
  decode: (ids: number[]) => string,
  promptLength = 1,
): CaptionResult {
  const seqs = result.sequences;
  if (seqs.length === 0) return result;
  const length = Math.max(...seqs.map((s) => ownLength(s.tokenIds, eos, promptLength)));
  if (seqs.every((s) => s.tokenIds.length <= length)) return result;
  return {
    sequences: seqs.map((s) => {
      if (s.tokenIds.length <= length) return s;
      const tokenIds = s.tokenIds.slice(0, length);
      return { ...s, tokenIds, text: decode(tokenIds) };
    }),
  };
}
