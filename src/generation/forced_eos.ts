/**
 * `ForcedEOSTokenLogitsProcessor`, transformers v4.27: when the history is `max_length - 1`
 * long, every token but the EOS id(s) gets -inf and they get 0.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";
import { forceToken } from "./forced_bos.ts";

/** Forces EOS as the last token. */
export class ForcedEosProcessor implements LogitsProcessor {
  readonly #maxLength: number;
  readonly #eos: number[];

  /** @param maxLength the resolved max_length @param eosTokenIds the ids to force */
  constructor(maxLength: number, eosTokenIds: readonly number[]) {
    this.#maxLength = maxLength;
    this.#eos = [...eosTokenIds];
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    if (inputIds[0].length !== this.#maxLength - 1) return;
    forceToken(scores, vocabOf(scores, inputIds.length), this.#eos);
  }
}
