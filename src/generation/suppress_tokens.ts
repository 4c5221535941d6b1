/**
 * `SuppressTokensLogitsProcessor`, transformers v4.27: the listed tokens always get -inf.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { fillColumns, vocabOf } from "./logits_processor.ts";

/** Never lets the listed tokens be chosen. */
export class SuppressTokensProcessor implements LogitsProcessor {
  readonly #ids: number[];

  /** @param suppressTokens the ids */
  constructor(suppressTokens: readonly number[]) {
    this.#ids = [...suppressTokens];
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    fillColumns(scores, vocabOf(scores, inputIds.length), this.#ids, -Infinity);
  }
}
