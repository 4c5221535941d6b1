/**
 * `ForceTokensLogitsProcessor`, transformers v4.27 (`forced_decoder_ids`): at history length i
 * where `[i, id]` is given, every token but id gets -inf and id gets 0.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";
import { forceToken } from "./forced_bos.ts";

/** Forces given tokens at given positions. */
export class ForceTokensProcessor implements LogitsProcessor {
  readonly #map: Map<number, number>;

  /** @param forcedDecoderIds `[generation index, token id]` pairs (later pairs win) */
  constructor(forcedDecoderIds: readonly (readonly [number, number])[]) {
    this.#map = new Map(forcedDecoderIds.map(([i, t]) => [i, t]));
  }

  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    const t = this.#map.get(inputIds[0].length);
    if (t !== undefined) forceToken(scores, vocabOf(scores, inputIds.length), [t]);
  }
}
