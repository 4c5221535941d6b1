/**
 * `TemperatureLogitsWarper`, transformers v4.27: scores divided by the temperature, in float32.
 * @module
 */
import type { LogitsProcessor, TokenHistories } from "./logits_processor.ts";

/** Divides scores by a temperature. */
export class TemperatureWarper implements LogitsProcessor {
  readonly #t: number;

  /** @param temperature > 0 */
  constructor(temperature: number) {
    if (!(temperature > 0)) {
      throw new RangeError(`temperature must be a strictly positive float, got ${temperature}`);
    }
    this.#t = Math.fround(temperature);
  }

  /** @param scores [rows, vocab] in place @param _inputIds unused */
  process(scores: Float32Array, _inputIds: TokenHistories): void {
    const t = this.#t;
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i] / t;
  }
}
