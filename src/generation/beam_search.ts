/**
 * Beam search, transformers v4.27 (`beam_search`): log-softmax of the last position (float32),
 * the processors, plus the running beam scores, top 2*num_beams over num_beams*vocab per image,
 * then `BeamSearchScorer`. The first step runs once per image; its scores are laid out as
 * Python's num_beams identical rows (beam 0 scored 0, the others -1e9), and `select` then
 * expands each image's cache row to the chosen beams. Each later step `select`s the surviving
 * beams' rows. Every cache is released once no longer needed.
 * @module
 */
import type { DecoderCache, DecoderStepper } from "./decoder_stepper.ts";
import type { LogitsProcessor } from "./logits_processor.ts";
import { applyProcessors } from "./logits_processor.ts";
import { logSoftmaxRows } from "./softmax.ts";
import { BeamSearchScorer } from "./beam_hypotheses.ts";
import type { EarlyStopping } from "../config/generation_config.ts";
import type { GenerateOutput } from "./generate_output.ts";
import { awaitRun, throwIfAborted } from "./generate_output.ts";

/** Everything one beam search needs, resolved by `generate`. */
export interface BeamSearchPlan {
  /** Decoder prompt per image, all the same length. */
  prompts: number[][];
  numBeams: number;
  numReturnSequences: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping;
  maxLength: number;
  deadline: number | null;
  processors: LogitsProcessor[];
  eos: number[];
  pad: number | null;
  outputScores: boolean;
  signal?: AbortSignal;
  now: () => number;
}

/**
 * The k best entries of a row, best first; among equal values the lower index first.
 * @param row the values
 * @param k how many
 * @returns values and indices
 */
export function topK(row: Float32Array, k: number): { values: Float32Array; indices: Int32Array } {
  const values = new Float32Array(k).fill(-Infinity);
  const indices = new Int32Array(k).fill(-1);
  let filled = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    // strictly better than the current last: ties keep the earlier (lower) index
    if (filled === k && !(v > values[k - 1])) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && v > values[j - 1]) {
      values[j] = values[j - 1];
      indices[j] = indices[j - 1];
      j--;
    }
    values[j] = v;
    indices[j] = i;
  }
  return { values, indices };
}

/**
 * Runs beam search.
 * @param stepper the decoder
 * @param plan the resolved run
 * @returns sequences (num_return_sequences per image, best first) and sequences_scores
 */
export async function beamSearch(
  stepper: DecoderStepper,
  plan: BeamSearchPlan,
): Promise<GenerateOutput> {
  const { prompts, numBeams: n, eos, pad, signal } = plan;
  const batch = prompts.length;
  const vocab = stepper.vocabSize;
  const rows = batch * n;
  const scorer = new BeamSearchScorer(
    batch,
    n,
    plan.lengthPenalty,
    plan.earlyStopping,
    plan.numReturnSequences,
    plan.maxLength,
  );
  let histories = prompts.flatMap((p) => Array.from({ length: n }, () => [...p]));
  let beamScores: Float32Array = new Float32Array(rows);
  for (let r = 0; r < rows; r++) if (r % n !== 0) beamScores[r] = -1e9;
  const scoresOut: Float32Array[] = [];
  let cache: DecoderCache | null = null;
  try {
    throwIfAborted(signal, "before the first decoder step");
    const first = await awaitRun(stepper.start(prompts), stepper, signal, "in the first step");
    cache = first.cache;
    let logits = first.logits;
    let firstStep = true;
    for (;;) {
      const inRows = firstStep ? batch : rows;
      if (logits.length !== inRows * vocab) {
        throw new RangeError(
          `decoder returned ${logits.length} logits, expected ${inRows} rows of ${vocab}`,
        );
      }
      const scores = new Float32Array(rows * vocab);
      for (let r = 0; r < rows; r++) {
        const src = firstStep ? Math.floor(r / n) : r;
        scores.set(logits.subarray(src * vocab, (src + 1) * vocab), r * vocab);
      }
      logSoftmaxRows(scores, vocab);
      applyProcessors(plan.processors, scores, histories);
      if (plan.outputScores) scoresOut.push(scores.slice());
      for (let r = 0; r < rows; r++) {
        const add = beamScores[r];
        for (let i = r * vocab; i < (r + 1) * vocab; i++) scores[i] = scores[i] + add;
      }
      const topScores = new Float32Array(batch * 2 * n);
      const topTokens = new Int32Array(batch * 2 * n);
      const topBeams = new Int32Array(batch * 2 * n);
      for (let b = 0; b < batch; b++) {
        const { values, indices } = topK(
          scores.subarray(b * n * vocab, (b + 1) * n * vocab),
          2 * n,
        );
        topScores.set(values, b * 2 * n);
        for (let c = 0; c < 2 * n; c++) {
          topTokens[b * 2 * n + c] = indices[c] % vocab;
          topBeams[b * 2 * n + c] = Math.floor(indices[c] / vocab);
        }
      }
      const next = scorer.process(histories, topScores, topTokens, topBeams, eos, pad);
      histories = Array.from(next.indices, (src, r) => [...histories[src], next.tokens[r]]);
      beamScores = next.scores;
      const curLen = histories[0].length;
      if (
        scorer.isDone || curLen >= plan.maxLength ||
        (plan.deadline !== null && plan.now() > plan.deadline)
      ) break;
      throwIfAborted(signal, `after ${curLen - prompts[0].length} tokens`);
      // The first step's cache holds one row per image: expand it to the chosen beams.
      const cacheRows = firstStep ? next.indices.map((i) => Math.floor(i / n)) : next.indices;
      const selected = stepper.select(cache, cacheRows);
      stepper.release(cache);
      cache = selected;
      const out = await awaitRun(
        stepper.step(cache, next.tokens),
        stepper,
        signal,
        `after ${curLen - prompts[0].length} tokens`,
      );
      if (out.cache !== cache) stepper.release(cache);
      cache = out.cache;
      logits = out.logits;
      firstStep = false;
    }
  } finally {
    if (cache !== null) stepper.release(cache);
  }
  const { sequences, scores } = scorer.finalize(histories, beamScores, plan.maxLength, eos, pad);
  return {
    sequences,
    sequencesScores: scores,
    ...(plan.outputScores ? { scores: scoresOut } : {}),
  };
}
