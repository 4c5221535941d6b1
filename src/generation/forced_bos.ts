/**
 * `ForcedBOSTokenLogitsProcessor`, transformers v4.27: at the first generated position (history
 * length 1) every token but `forced_bos_token_id` gets -inf and that one gets 0.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";

/** Forces a token right after the decoder start token. */
export class ForcedBosProcessor implements LogitsProcessor {
  readonly #bos: number;

  /** @param bosTokenId the token to force */
  constructor(bosTokenId: number) {
    this.#bos = bosTokenId;
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    if (inputIds[0].length !== 1) return;
    forceToken(scores, vocabOf(scores, inputIds.length), [this.#bos]);
  }
}

/**
 * Every column -inf but the given ones, which get 0 (Python's forced-token pattern).
 * @param scores row-major [rows, vocab]
 * @param vocab row length
 * @param ids the forced ids
 */
export function forceToken(scores: Float32Array, vocab: number, ids: readonly number[]): void {
  for (const id of ids) {
    if (id < 0 || id >= vocab) {
      throw new RangeError(`forced token id ${id} is outside the vocabulary of ${vocab} tokens`);
    }
  }
  scores.fill(-Infinity);
  for (let base = 0; base < scores.length; base += vocab) {
    for (const id of ids) scores[base + id] = 0;
  }
}
