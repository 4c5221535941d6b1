/**
 * `LogitNormalization`, transformers v4.27 (`renormalize_logits`): log-softmax of the processed
 * scores, always last in the list.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";
import { vocabOf } from "./logits_processor.ts";
import { logSoftmaxRows } from "./softmax.ts";

/** Re-normalises scores to log-probabilities. */
export class LogitNormalizationProcessor implements LogitsProcessor {
  /** @param scores [rows, vocab] in place @param inputIds row histories */
  process(scores: Float32Array, inputIds: TokenHistories): void {
    logSoftmaxRows(scores, vocabOf(scores, inputIds.length));
  }
}
