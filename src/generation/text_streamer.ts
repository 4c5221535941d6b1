/**
 * A text streamer over token streams, after transformers' `TextStreamer`: it keeps the tokens of
 * the current line, decodes them all each step with the caller's `decode`, and emits only text
 * that cannot change any more: up to the last space, a whole line at "\n", CJK characters at
 * once, and never a trailing U+FFFD (an incomplete UTF-8 sequence still waiting for bytes).
 * @module
 */
import type { TokenStreamer } from "./generate.ts";

/** Options of {@link TextStreamer}. */
export interface TextStreamerOptions {
  /** Token ids -> text (the tokenizer's decode, e.g. with special tokens skipped). */
  decode: (ids: number[]) => string;
  /** Receives each piece of final text; `end` is true on the last call. */
  onText: (text: string, end: boolean) => void;
}

function isCjk(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** Streams text for a single sequence (batch of one image, one row). */
export class TextStreamer implements TokenStreamer {
  readonly #o: TextStreamerOptions;
  #cache: number[] = [];
  #printed = 0;

  /**
   * A streamer that decodes one sequence and hands each newly completed piece of text to onText.
   * @param options decode and onText
   */
  constructor(options: TextStreamerOptions) {
    this.#o = options;
  }

  /**
   * Takes one step's token and emits the text it completes, if any.
   * @param ids the step's tokens; exactly one row
   */
  onToken(ids: number[]): void {
    if (ids.length !== 1) {
      throw new RangeError(`TextStreamer streams one sequence, got ${ids.length} rows`);
    }
    this.#cache.push(ids[0]);
    const text = this.#o.decode(this.#cache);
    let out: string;
    if (text.endsWith("\n")) {
      out = text.slice(this.#printed);
      this.#cache = [];
      this.#printed = 0;
    } else if (text.endsWith("\uFFFD")) {
      return; // bytes of a character still to come
    } else if (text.length > 0 && isCjk([...text].pop()?.codePointAt(0) ?? 0)) {
      out = text.slice(this.#printed);
      this.#printed += out.length;
    } else {
      out = text.slice(this.#printed, text.lastIndexOf(" ") + 1);
      this.#printed += out.length;
    }
    if (out.length > 0) this.#o.onText(out, false);
  }

  /** Flushes what is left. */
  onEnd(): void {
    const text = this.#cache.length > 0 ? this.#o.decode(this.#cache).slice(this.#printed) : "";
    this.#cache = [];
    this.#printed = 0;
    this.#o.onText(text, true);
  }
}
