/**
 * The fine-tuning loss of VisionEncoderDecoderModel (transformers v4.27): decoder inputs are the
 * labels shifted right with decoder_start_token_id (`shift_tokens_right`, -100 replaced by
 * pad_token_id), and the loss is torch's CrossEntropyLoss (mean over positions whose label is not
 * -100) of the logits against the labels.
 * @module
 */
import type { FloatTensor } from "../tensor.ts";

/**
 * Python's `shift_tokens_right` of modeling_vision_encoder_decoder.
 * @param labels rows of label ids (-100 marks ignored positions)
 * @param padTokenId replaces -100 in the inputs
 * @param decoderStartTokenId first input of every row
 * @returns the decoder input ids
 */
export function shiftTokensRight(
  labels: readonly (readonly number[])[],
  padTokenId: number,
  decoderStartTokenId: number,
): number[][] {
  const n = labels[0]?.length ?? 0;
  if (n === 0) throw new RangeError("labels must hold at least one position per row");
  return labels.map((row, i) => {
    if (row.length !== n) {
      throw new RangeError(`label row ${i} has ${row.length} ids, row 0 has ${n}: pad with -100`);
    }
    for (const t of row) {
      if (!Number.isInteger(t) || (t < 0 && t !== -100)) {
        throw new RangeError(`label row ${i} holds ${t}: labels are token ids or -100`);
      }
    }
    return [decoderStartTokenId, ...row.slice(0, -1)].map((t) => (t === -100 ? padTokenId : t));
  });
}

/**
 * Mean cross-entropy over positions whose label is not -100, as torch's CrossEntropyLoss
 * (log-softmax computed in double from float32 logits).
 * @param logits [rows, n, vocab]
 * @param labels rows of n label ids
 * @returns the loss (NaN when every label is -100, as torch returns)
 */
export function crossEntropyLoss(
  logits: FloatTensor,
  labels: readonly (readonly number[])[],
): number {
  const [rows, n, vocab] = logits.dims;
  if (labels.length !== rows || labels.some((r) => r.length !== n)) {
    throw new RangeError(`labels must be ${rows} rows of ${n} ids to match the logits`);
  }
  let total = 0, count = 0;
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < n; p++) {
      const label = labels[r][p];
      if (label === -100) continue;
      if (label < 0 || label >= vocab) {
        throw new RangeError(`label ${label} is outside the vocabulary of ${vocab}`);
      }
      const row = logits.data.subarray((r * n + p) * vocab, (r * n + p + 1) * vocab);
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) if (row[v] > max) max = row[v];
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v] - max);
      total += max + Math.log(sum) - row[label];
      count++;
    }
  }
  return total / count;
}
