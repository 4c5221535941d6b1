/**
 * The tokenizer contract the rest of vedge uses: token ids <-> text with the semantics of Hugging
 * Face's Python slow tokenizers (transformers v4.27), whichever files the model ships.
 * @module
 */

/** Options of `decode` / `batchDecode`, as Python's `decode` keyword arguments. */
export interface DecodeOptions {
  /** Drop the ids of special tokens (bos, eos, pad, unk, ...). Default false, as in Python. */
  skipSpecialTokens?: boolean;
  /**
   * Apply v4.27's `clean_up_tokenization` (" ." -> ".", " n't" -> "n't", ...). Default true, as in
   * v4.27, whatever tokenizer_config.json says.
   */
  cleanUpTokenizationSpaces?: boolean;
}

/** Options of `encode`. */
export interface EncodeOptions {
  /** Add the model's special tokens (RoBERTa/BERT: cls ... sep). Default true, as in Python. */
  addSpecialTokens?: boolean;
}

/** Ids of the named special tokens; null when the tokenizer has none. */
export interface SpecialTokenIds {
  /** Beginning of sequence (`bos_token`). */
  bos: number | null;
  /** End of sequence (`eos_token`). */
  eos: number | null;
  /** Unknown token (`unk_token`). */
  unk: number | null;
  /** Separator (`sep_token`). */
  sep: number | null;
  /** Padding (`pad_token`). */
  pad: number | null;
  /** Classifier token (`cls_token`). */
  cls: number | null;
  /** Mask token (`mask_token`). */
  mask: number | null;
}

/** A loaded tokenizer. */
export interface TextTokenizer {
  /** Number of ids it knows (Python's `len(tokenizer)`: vocabulary plus added tokens). */
  readonly size: number;
  /** Named special tokens' ids. */
  readonly specialTokenIds: Readonly<SpecialTokenIds>;
  /** Python's `all_special_ids`: the ids `skipSpecialTokens` removes. */
  readonly allSpecialIds: readonly number[];
  /**
   * Text to ids.
   * @param text the text
   * @param options addSpecialTokens (default true)
   * @returns the ids
   */
  encode(text: string, options?: EncodeOptions): number[];
  /**
   * Ids to text, as Python's `decode`. Ids the vocabulary lacks throw RangeError (Python fails too).
   * @param ids token ids
   * @param options skipSpecialTokens, cleanUpTokenizationSpaces
   * @returns the text
   */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /**
   * Rows of ids to texts, as Python's `batch_decode`.
   * @param rows one id sequence per text
   * @param options as for decode
   * @returns one text per row
   */
  batchDecode(rows: readonly ArrayLike<number>[], options?: DecodeOptions): string[];
  /**
   * A token's id.
   * @param token token string as the vocabulary spells it
   * @returns its id, or null when unknown
   */
  tokenToId(token: string): number | null;
  /**
   * An id's token string.
   * @param id token id
   * @returns the token, or null when out of range
   */
  idToToken(id: number): string | null;
}
