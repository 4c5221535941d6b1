/**
 * GPT-2's byte-level BPE (Radford et al. 2019), as `GPT2Tokenizer` / `RobertaTokenizer` of
 * transformers v4.27 implement it from vocab.json + merges.txt: bytes mapped to printable
 * characters, GPT-2's pre-tokenisation regex, merges by rank; decoding maps characters back to
 * bytes and decodes UTF-8 with U+FFFD for invalid sequences (Python's errors="replace").
 * @module
 */
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import type { VocabModel } from "./slow_tokenizer.ts";

/**
 * GPT-2's `bytes_to_unicode`: byte -> printable character, and back.
 * @returns the two tables
 */
export function bytesToUnicode(): { encoder: string[]; decoder: Map<string, number> } {
  const bs: number[] = [];
  const range = (a: number, b: number): void => {
    for (let i = a; i <= b; i++) bs.push(i);
  };
  range(0x21, 0x7e);
  range(0xa1, 0xac);
  range(0xae, 0xff);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const encoder: string[] = new Array(256);
  const decoder = new Map<string, number>();
  bs.forEach((b, i) => {
    encoder[b] = String.fromCodePoint(cs[i]);
    decoder.set(encoder[b], b);
  });
  return { encoder, decoder };
}

// GPT-2's pattern (Python `regex`), with JS Unicode property escapes.
const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Options of the byte-level BPE model. */
export interface ByteLevelBpeOptions {
  /** Prefix a space to the text before tokenising (tokenizer_config add_prefix_space). */
  addPrefixSpace?: boolean;
  /** RoBERTa only adds the space when the text does not start with whitespace. */
  prefixOnlyIfNoSpace?: boolean;
  /** tokenizer_config `errors`: "replace" (default) or "strict". */
  errors?: string;
}

/**
 * Parses merges.txt as Python does: drop the first line (the #version header) and the last one
 * (empty after the final newline), split each on whitespace.
 * @param text merges.txt
 * @returns merge pairs in rank order
 */
export function parseMerges(text: string): [string, string][] {
  return text.split("\n").slice(1, -1).map((line) => {
    const parts = line.trim().split(/\s+/);
    return [parts[0], parts[1]] as [string, string];
  });
}

/** Byte-level BPE over a vocab.json and merges.txt. */
export class ByteLevelBpe implements VocabModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly lowercaseFirst = false;
  readonly #ids: Map<number, string>;
  readonly #ranks = new Map<string, number>();
  readonly #cache = new Map<string, string[]>();
  readonly #bytes = bytesToUnicode();
  readonly #utf8: TextDecoder;
  readonly #options: ByteLevelBpeOptions;

  /**
   * @param vocab vocab.json: token -> id
   * @param merges merge pairs in rank order
   * @param options prefix space and error handling
   */
  constructor(
    vocab: Readonly<Record<string, number>>,
    merges: readonly (readonly [string, string])[],
    options: ByteLevelBpeOptions = {},
  ) {
    const errors = options.errors ?? "replace";
    if (errors !== "replace" && errors !== "strict") {
      throw new UnsupportedModelError(
        `Cannot build a byte-level BPE tokenizer with errors=${JSON.stringify(errors)}: ` +
          `supported: "replace", "strict"`,
      );
    }
    this.vocab = new Map(Object.entries(vocab));
    this.#ids = new Map();
    for (const [tok, id] of this.vocab) {
      if (!Number.isInteger(id)) {
        throw new ModelLoadError(`Cannot read vocab.json: id of ${JSON.stringify(tok)} is ${id}`);
      }
      this.#ids.set(id, tok);
    }
    merges.forEach(([a, b], i) => {
      const key = `${a} ${b}`;
      if (!this.#ranks.has(key)) this.#ranks.set(key, i);
    });
    // ignoreBOM keeps a leading U+FEFF as Python's "utf-8" codec does.
    this.#utf8 = new TextDecoder("utf-8", { fatal: errors === "strict", ignoreBOM: true });
    this.#options = options;
  }

  /** @inheritdoc */
  idToToken(id: number): string | undefined {
    return this.#ids.get(id);
  }

  /** @inheritdoc */
  prepare(text: string): string {
    if (!this.#options.addPrefixSpace) return text;
    if (this.#options.prefixOnlyIfNoSpace && (text.length === 0 || /^\s/.test(text))) return text;
    return " " + text;
  }

  /** Python's `bpe`: merge the lowest-ranked adjacent pair until none is ranked. */
  #bpe(token: string): string[] {
    const cached = this.#cache.get(token);
    if (cached !== undefined) return cached;
    let word = Array.from(token);
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.#ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best];
      const b = word[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          merged.push(a + b);
          i += 2;
        } else {
          merged.push(word[i++]);
        }
      }
      word = merged;
    }
    if (this.#cache.size < 10000) this.#cache.set(token, word);
    return word;
  }

  /** @inheritdoc */
  tokenize(text: string): string[] {
    const out: string[] = [];
    const enc = new TextEncoder();
    for (const m of text.matchAll(PRETOKENIZE)) {
      let mapped = "";
      for (const b of enc.encode(m[0])) mapped += this.#bytes.encoder[b];
      out.push(...this.#bpe(mapped));
    }
    return out;
  }

  /** @inheritdoc */
  tokensToString(tokens: string[]): string {
    const chars = Array.from(tokens.join(""));
    const bytes = new Uint8Array(chars.length);
    chars.forEach((c, i) => {
      const b = this.#bytes.decoder.get(c);
      if (b === undefined) {
        throw new RangeError(`Cannot decode ${JSON.stringify(c)}: not a byte-level character`);
      }
      bytes[i] = b;
    });
    return this.#utf8.decode(bytes);
  }
}
