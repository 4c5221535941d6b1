/**
 * `SuppressTokensAtBeginLogitsProcessor`, transformers v4.27: the listed tokens get -inf when the
 * history is exactly `beginIndex` long (the first generated position; the builder computes it
 * as Python does from the prompt length, forced_bos_token_id and forced_decoder_ids).
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { fillColumns, vocabOf } from "./logits_processor.ts";

/** Suppresses tokens at the first generated position. */
export class BeginSuppressTokensProcessor implements LogitsProcessor {
  readonly #ids: number[];
  readonly #beginIndex: number;

  /** @param beginSuppressTokens the ids @param beginIndex history length at which to apply */
  constructor(beginSuppressTokens: readonly number[], beginIndex: number) {
    this.#ids = [...beginSuppressTokens];
    this.#beginIndex = beginIndex;
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    if (inputIds[0].length !== this.#beginIndex) return;
    fillColumns(scores, vocabOf(scores, inputIds.length), this.#ids, -Infinity);
  }
}
