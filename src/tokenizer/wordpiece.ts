/**
 * BERT's WordPiece tokenizer (Devlin et al. 2019) as `BertTokenizer` of transformers v4.27 builds
 * it from vocab.txt: BasicTokenizer (clean text, pad CJK characters, lowercase, strip accents,
 * split punctuation) then greedy longest-match-first WordPiece with "##" continuations; decoding
 * joins with spaces and removes " ##".
 * @module
 */
import type { VocabModel } from "./slow_tokenizer.ts";

/** BertTokenizer's options (tokenizer_config.json names). */
export interface WordPieceOptions {
  do_lower_case?: boolean;
  do_basic_tokenize?: boolean;
  tokenize_chinese_chars?: boolean;
  /** null: follow do_lower_case. */
  strip_accents?: boolean | null;
  never_split?: readonly string[];
  unk_token?: string;
}

/**
 * Parses vocab.txt: one token per line, id = line number (Python strips only the newline).
 * @param text vocab.txt
 * @returns token -> id
 */
export function parseVocabTxt(text: string): Record<string, number> {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const vocab: Record<string, number> = {};
  lines.forEach((t, i) => vocab[t] = i);
  return vocab;
}

const isWhitespace = (c: string): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || /\p{Zs}/u.test(c);
const isControl = (c: string): boolean =>
  c !== "\t" && c !== "\n" && c !== "\r" && /\p{C}/u.test(c);
function isPunctuation(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)) return true;
  if (cp >= 123 && cp <= 126) return true;
  return /\p{P}/u.test(c);
}
function isChinese(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}
const splitWs = (t: string): string[] => t.trim().split(/\s+/).filter((s) => s.length > 0);

/** WordPiece over vocab.txt, with BERT's basic tokenizer in front. */
export class WordPiece implements VocabModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly lowercaseFirst: boolean;
  readonly #ids = new Map<number, string>();
  readonly #o: Required<WordPieceOptions>;
  readonly #neverSplit: Set<string>;

  /**
   * @param vocab token -> id (vocab.txt)
   * @param options BertTokenizer options; never_split should hold the special tokens
   */
  constructor(vocab: Readonly<Record<string, number>>, options: WordPieceOptions = {}) {
    this.vocab = new Map(Object.entries(vocab));
    for (const [t, id] of this.vocab) this.#ids.set(id, t);
    this.#o = {
      do_lower_case: options.do_lower_case ?? true,
      do_basic_tokenize: options.do_basic_tokenize ?? true,
      tokenize_chinese_chars: options.tokenize_chinese_chars ?? true,
      strip_accents: options.strip_accents ?? null,
      never_split: options.never_split ?? [],
      unk_token: options.unk_token ?? "[UNK]",
    };
    this.lowercaseFirst = this.#o.do_lower_case;
    this.#neverSplit = new Set(this.#o.never_split);
  }

  /** @inheritdoc BERT falls back to the unk token for unknown ids. */
  idToToken(id: number): string | undefined {
    return this.#ids.get(id) ?? this.#o.unk_token;
  }

  /** @inheritdoc */
  prepare(text: string): string {
    return text;
  }

  #basic(text: string): string[] {
    let clean = "";
    for (const c of text) {
      const cp = c.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(c)) continue;
      clean += isWhitespace(c) ? " " : c;
    }
    if (this.#o.tokenize_chinese_chars) {
      let t = "";
      for (const c of clean) t += isChinese(c.codePointAt(0)!) ? ` ${c} ` : c;
      clean = t;
    }
    const split: string[] = [];
    for (let token of splitWs(clean)) {
      if (!this.#neverSplit.has(token)) {
        if (this.#o.do_lower_case) {
          token = token.toLowerCase();
          if (this.#o.strip_accents !== false) token = stripAccents(token);
        } else if (this.#o.strip_accents) {
          token = stripAccents(token);
        }
      }
      split.push(...this.#splitPunct(token));
    }
    return splitWs(split.join(" "));
  }

  #splitPunct(token: string): string[] {
    if (this.#neverSplit.has(token)) return [token];
    const out: string[] = [];
    let cur = "";
    for (const c of token) {
      if (isPunctuation(c)) {
        if (cur) out.push(cur);
        out.push(c);
        cur = "";
      } else cur += c;
    }
    if (cur) out.push(cur);
    return out;
  }

  #wordpiece(text: string): string[] {
    const out: string[] = [];
    for (const token of splitWs(text)) {
      const chars = Array.from(token);
      if (chars.length > 100) {
        out.push(this.#o.unk_token);
        continue;
      }
      const pieces: string[] = [];
      let start = 0;
      let bad = false;
      while (start < chars.length) {
        let end = chars.length;
        let cur: string | null = null;
        while (start < end) {
          const sub = (start > 0 ? "##" : "") + chars.slice(start, end).join("");
          if (this.vocab.has(sub)) {
            cur = sub;
            break;
          }
          end--;
        }
        if (cur === null) {
          bad = true;
          break;
        }
        pieces.push(cur);
        start = end;
      }
      if (bad) out.push(this.#o.unk_token);
      else out.push(...pieces);
    }
    return out;
  }

  /** @inheritdoc */
  tokenize(text: string): string[] {
    if (!this.#o.do_basic_tokenize) return this.#wordpiece(text);
    const out: string[] = [];
    for (const t of this.#basic(text)) {
      if (this.#neverSplit.has(t)) out.push(t);
      else out.push(...this.#wordpiece(t));
    }
    return out;
  }

  /** @inheritdoc */
  tokensToString(tokens: string[]): string {
    return tokens.join(" ").replaceAll(" ##", "").trim();
  }
}

/**
 * BasicTokenizer's `_run_strip_accents`: NFD, then drop nonspacing marks (Mn).
 * @param text the text
 * @returns the text without accents
 */
export function stripAccents(text: string): string {
  return text.normalize("NFD").replace(/\p{Mn}/gu, "");
}
