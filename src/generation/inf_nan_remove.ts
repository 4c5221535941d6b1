/**
 * `InfNanRemoveLogitsProcessor`, transformers v4.27 (`remove_invalid_values`): NaN becomes 0 and
 * +inf becomes float32's largest finite value.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";

const FLOAT32_MAX = 3.4028234663852886e38;

/** Replaces NaN and +inf scores. */
export class InfNanRemoveProcessor implements LogitsProcessor {
  /** @param scores [rows, vocab] in place @param _inputIds unused */
  process(scores: Float32Array, _inputIds: TokenHistories): void {
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i];
      if (Number.isNaN(v)) scores[i] = 0;
      else if (v === Infinity) scores[i] = FLOAT32_MAX;
    }
  }
}
