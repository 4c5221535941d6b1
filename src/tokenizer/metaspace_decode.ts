/**
 * Decoding a run of SentencePiece tokens (tokenizer.json with a `Metaspace` decoder: MBart,
 * MBart-50, XLM-RoBERTa, Donut, NLLB) as Python's slow tokenizers of transformers v4.27 do in
 * `convert_tokens_to_string`: `"".join(tokens).replace("▁", " ").strip()`. Unlike the fast
 * `Metaspace` decoder, which drops every "▁" of the first token and keeps the rest as spaces, the
 * slow tokenizer strips all leading and trailing whitespace of each run (so a final "▁" token
 * leaves no trailing space) and keeps inner "▁"s of the first token as spaces.
 * @module
 */

// Python's str.isspace() characters, which str.strip() removes (JS trim() differs: it keeps
// U+001C..U+001F and U+0085 and removes U+FEFF).
const PY_SPACE =
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const PY_SPACE_SET = new Set(PY_SPACE);

/**
 * Python's `str.strip()` with no argument.
 * @param text any text
 * @returns the text without leading and trailing Python whitespace
 * @example
 * ```ts
 * import { pythonStrip } from "./metaspace_decode.ts";
 * console.assert(pythonStrip("\x1c a b \n") === "a b");
 * ```
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_SPACE_SET.has(text[start])) start++;
  while (end > start && PY_SPACE_SET.has(text[end - 1])) end--;
  return text.slice(start, end);
}

/**
 * Joins SentencePiece tokens to text as the slow tokenizers do.
 * @param tokens the run's tokens (vocabulary strings, "▁" marking a word start)
 * @param replacement the word-start marker (the Metaspace decoder's `replacement`, "▁")
 * @returns the text of the run
 * @example
 * ```ts
 * import { metaspaceTokensToString } from "./metaspace_decode.ts";
 * console.assert(metaspaceTokensToString(["▁te", "st", "▁"], "▁") === "test");
 * ```
 */
export function metaspaceTokensToString(tokens: readonly string[], replacement: string): string {
  return pythonStrip(tokens.join("").replaceAll(replacement, " "));
}

/**
 * The Metaspace decoder's replacement character when a tokenizer.json decodes with Metaspace
 * (directly, or as the only word-boundary step of a `Sequence`), else null.
 * @param decoder the tokenizer.json `decoder` value
 * @returns the replacement ("▁" as a rule) or null
 */
export function metaspaceReplacement(decoder: unknown): string | null {
  if (decoder === null || typeof decoder !== "object") return null;
  const d = decoder as { type?: unknown; replacement?: unknown; decoders?: unknown };
  if (d.type === "Metaspace") return typeof d.replacement === "string" ? d.replacement : "▁";
  if (d.type === "Sequence" && Array.isArray(d.decoders) && d.decoders.length === 1) {
    return metaspaceReplacement(d.decoders[0]);
  }
  return null;
}
