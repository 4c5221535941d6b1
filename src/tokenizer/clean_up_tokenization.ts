/**
 * Python's `PreTrainedTokenizerBase.clean_up_tokenization` (transformers v4.27): removes the
 * spaces a word-split decode leaves before punctuation and English contractions.
 * @module
 */

/**
 * Applies v4.27's clean-up rules, in Python's order, each replacing every occurrence.
 * @param text decoded text
 * @returns the cleaned text
 * @example
 * ```ts
 * import { cleanUpTokenization } from "./clean_up_tokenization.ts";
 * console.assert(cleanUpTokenization("it is n't here .") === "it isn't here.");
 * ```
 */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(" .", ".")
    .replaceAll(" ?", "?")
    .replaceAll(" !", "!")
    .replaceAll(" ,", ",")
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
