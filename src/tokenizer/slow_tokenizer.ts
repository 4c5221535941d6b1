/**
 * Python's `PreTrainedTokenizer` (transformers v4.27) over a vocabulary model (byte-level BPE or
 * WordPiece): special and added tokens, splitting text around them with their strip rules,
 * special-token wrapping on encode, and `_decode`.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { pythonDecode } from "./python_decode.ts";
import {
  allSpecialTokens,
  SPECIAL_TOKEN_KEYS,
  type SpecialToken,
  type TokenizerSettings,
} from "./special_tokens.ts";
import type {
  DecodeOptions,
  EncodeOptions,
  SpecialTokenIds,
  TextTokenizer,
} from "./text_tokenizer.ts";

/** The vocabulary part of a slow tokenizer (Python's `_tokenize` and friends). */
export interface VocabModel {
  /** token -> id. */
  readonly vocab: ReadonlyMap<string, number>;
  /** Python's `_convert_id_to_token` (undefined when absent and the model has no fallback). */
  idToToken(id: number): string | undefined;
  /** Python's `prepare_for_tokenization` (e.g. add_prefix_space). */
  prepare(text: string): string;
  /** Python's `_tokenize` on text holding no special or added token. */
  tokenize(text: string): string[];
  /** Python's `convert_tokens_to_string`. */
  tokensToString(tokens: string[]): string;
  /** Whether the class lowercases non-special text before splitting (BERT's do_lower_case). */
  readonly lowercaseFirst: boolean;
}

/** How `encode` with special tokens wraps ids: [cls] x [sep], [bos] x, or nothing. */
export type SpecialWrap = "cls_sep" | "bos" | "none";

/**
 * Splits text at the leftmost, longest occurrences of any of the tokens (Python's Trie.split).
 * @param text the text
 * @param tokens tokens never to split
 * @returns pieces; matched tokens are pieces of their own
 */
export function splitOnTokens(text: string, tokens: readonly string[]): string[] {
  const sorted = [...tokens].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return [text];
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const hit = sorted.find((t) => text.startsWith(t, i));
    if (hit === undefined) {
      i++;
      continue;
    }
    if (i > start) out.push(text.slice(start, i));
    out.push(hit);
    i += hit.length;
    start = i;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** A tokenizer built from vocabulary files, behaving as Python's slow tokenizer. */
export class SlowTokenizer implements TextTokenizer {
  readonly size: number;
  readonly specialTokenIds: Readonly<SpecialTokenIds>;
  readonly allSpecialIds: readonly number[];
  readonly #model: VocabModel;
  readonly #wrap: SpecialWrap;
  readonly #addedEncoder = new Map<string, number>();
  readonly #addedDecoder = new Map<number, string>();
  readonly #special = new Map<string, SpecialToken>();
  readonly #noSplit: string[];
  readonly #specialIdSet: Set<number>;
  readonly #unkId: number | undefined;

  /**
   * @param model the vocabulary model
   * @param settings special and added tokens from the tokenizer files
   * @param wrap how encode adds special tokens
   * @param source model id, for messages
   */
  constructor(model: VocabModel, settings: TokenizerSettings, wrap: SpecialWrap, source: string) {
    this.#model = model;
    this.#wrap = wrap;
    let size = model.vocab.size;
    // added_tokens.json first (ids must continue the vocabulary, as Python checks), then the
    // special tokens the vocabulary lacks (sanitize_special_tokens), in attribute order.
    for (const [tok, id] of [...settings.addedTokens].sort((a, b) => a[1] - b[1])) {
      if (model.vocab.has(tok)) continue;
      if (id !== size) {
        throw new ModelLoadError(
          `Cannot load added_tokens.json from ${source}: ${JSON.stringify(tok)} has id ${id}, ` +
            `expected ${size} (ids must follow the vocabulary without gaps)`,
        );
      }
      this.#addedEncoder.set(tok, id);
      this.#addedDecoder.set(id, tok);
      size++;
    }
    const specials = allSpecialTokens(settings);
    for (const t of specials) {
      this.#special.set(t.content, t);
      if (model.vocab.has(t.content) || this.#addedEncoder.has(t.content)) continue;
      this.#addedEncoder.set(t.content, size);
      this.#addedDecoder.set(size, t.content);
      size++;
    }
    this.size = size;
    const unk = settings.special.unk_token?.content;
    this.#unkId = unk === undefined
      ? undefined
      : this.#addedEncoder.get(unk) ?? model.vocab.get(unk);
    this.#noSplit = [...new Set([...this.#addedEncoder.keys(), ...this.#special.keys()])];
    const ids = {} as Record<string, number | null>;
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = settings.special[key];
      ids[key.replace("_token", "")] = t === null ? null : this.#toId(t.content);
    }
    this.specialTokenIds = ids as unknown as SpecialTokenIds;
    this.allSpecialIds = [...new Set(specials.map((t) => this.#toId(t.content)))];
    this.#specialIdSet = new Set(this.allSpecialIds);
  }

  /** Python's convert_tokens_to_ids for one token: added, vocabulary, else unk. */
  #toId(token: string): number {
    const id = this.#addedEncoder.get(token) ?? this.#model.vocab.get(token) ?? this.#unkId;
    if (id === undefined) {
      throw new RangeError(`Cannot encode token ${JSON.stringify(token)}: not in the vocabulary`);
    }
    return id;
  }

  /**
   * Python's `tokenize`: split around special/added tokens (with their strip rules), then
   * `_tokenize` the rest.
   * @param text the text
   * @returns token strings
   */
  tokenize(text: string): string[] {
    let t = this.#model.prepare(text);
    if (this.#model.lowercaseFirst) {
      t = splitOnTokens(t, this.#noSplit)
        .map((p) => this.#special.has(p) || this.#addedEncoder.has(p) ? p : p.toLowerCase())
        .join("");
    }
    const pieces = splitOnTokens(t, this.#noSplit);
    const isNoSplit = (p: string): boolean => this.#special.has(p) || this.#addedEncoder.has(p);
    for (let i = 0; i < pieces.length; i++) {
      if (!isNoSplit(pieces[i])) continue;
      const ext = this.#special.get(pieces[i]);
      const stripRight = ext?.isAddedToken ? ext.rstrip : true;
      const stripLeft = ext?.isAddedToken ? ext.lstrip : true;
      if (stripRight && i + 1 < pieces.length && !isNoSplit(pieces[i + 1])) {
        pieces[i + 1] = pieces[i + 1].trimStart();
      }
      if (stripLeft && i > 0 && !isNoSplit(pieces[i - 1])) pieces[i - 1] = pieces[i - 1].trimEnd();
    }
    const out: string[] = [];
    for (const p of pieces) {
      if (p.length === 0) continue;
      if (isNoSplit(p)) out.push(p);
      else out.push(...this.#model.tokenize(p));
    }
    return out;
  }

  /** @inheritdoc */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.tokenize(text).map((t) => this.#toId(t));
    if (!(options.addSpecialTokens ?? true)) return ids;
    const { bos, cls, sep } = this.specialTokenIds;
    if (this.#wrap === "cls_sep" && cls !== null && sep !== null) return [cls, ...ids, sep];
    if (this.#wrap === "bos" && bos !== null) return [bos, ...ids];
    return ids;
  }

  /** @inheritdoc */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    return pythonDecode(ids, {
      specialIds: this.#specialIdSet,
      addedToken: (id) => this.#addedDecoder.get(id),
      decodeRun: (run) =>
        this.#model.tokensToString(run.map((id) => {
          const tok = this.#model.idToToken(id);
          if (tok === undefined) {
            throw new RangeError(
              `Cannot decode token id ${id}: the tokenizer knows ids 0..${this.size - 1}`,
            );
          }
          return tok;
        })),
    }, options);
  }

  /** @inheritdoc */
  batchDecode(rows: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return rows.map((r) => this.decode(r, options));
  }

  /** @inheritdoc */
  tokenToId(token: string): number | null {
    return this.#addedEncoder.get(token) ?? this.#model.vocab.get(token) ?? null;
  }

  /** @inheritdoc */
  idToToken(id: number): string | null {
    return this.#addedDecoder.get(id) ?? this.#model.idToToken(id) ?? null;
  }
}
