/**
 * Greedy search and multinomial sampling, transformers v4.27 (`greedy_search`, `sample`): one
 * token per row per step; rows finish on their own (an EOS id) and then receive pad_token_id
 * while others go on; stops when every row is finished or max_length / max_time is reached.
 * The first step runs once per image; with num_return_sequences > 1 (sampling) each image's
 * row is expanded after it, every copy drawing its own token.
 * @module
 */
import type { DecoderCache, DecoderStepper } from "./decoder_stepper.ts";
import type { LogitsProcessor } from "./logits_processor.ts";
import { applyProcessors } from "./logits_processor.ts";
import { argmax, sampleToken } from "./choose_token.ts";
import type { Prng } from "./prng.ts";
import { isEos } from "./stopping.ts";
import type { GenerateOutput } from "./generate_output.ts";
import { awaitRun, throwIfAborted } from "./generate_output.ts";

/** Everything one greedy or sampling run needs, resolved by `generate`. */
export interface TokenSearchPlan {
  /** Decoder prompt per image (usually `[decoder_start_token_id]`), all the same length. */
  prompts: number[][];
  /** Rows per image (num_return_sequences when sampling, else 1). */
  rowsPerImage: number;
  maxLength: number;
  /** Absolute deadline in ms (performance.now / Date.now clock of `now`), or null. */
  deadline: number | null;
  processors: LogitsProcessor[];
  /** Warpers (sampling only; empty for greedy). */
  warpers: LogitsProcessor[];
  /** Sampling stream; undefined for greedy. */
  prng?: Prng;
  eos: number[];
  pad: number | null;
  outputScores: boolean;
  signal?: AbortSignal;
  now: () => number;
}

/**
 * Runs greedy search or sampling, yielding each step's new token per row.
 * @param stepper the decoder
 * @param plan the resolved run
 * @returns an async generator of per-step tokens whose return value is the output
 */
export async function* tokenSearch(
  stepper: DecoderStepper,
  plan: TokenSearchPlan,
): AsyncGenerator<number[], GenerateOutput, undefined> {
  const { prompts, rowsPerImage: k, eos, signal } = plan;
  const rows = prompts.length * k;
  const vocab = stepper.vocabSize;
  const histories = prompts.flatMap((p) => Array.from({ length: k }, () => [...p]));
  const unfinished = new Uint8Array(rows).fill(1);
  const scoresOut: Float32Array[] = [];
  let cache: DecoderCache | null = null;
  try {
    throwIfAborted(signal, "before the first decoder step");
    const first = await awaitRun(stepper.start(prompts), stepper, signal, "in the first step");
    cache = first.cache;
    let logits = first.logits;
    let expand = k > 1;
    for (;;) {
      if (logits.length !== (expand ? prompts.length : rows) * vocab) {
        throw new RangeError(
          `decoder returned ${logits.length} logits, expected ${
            expand ? prompts.length : rows
          } rows of ${vocab}`,
        );
      }
      const scores = new Float32Array(rows * vocab);
      for (let r = 0; r < rows; r++) {
        const src = expand ? Math.floor(r / k) : r;
        scores.set(logits.subarray(src * vocab, (src + 1) * vocab), r * vocab);
      }
      applyProcessors(plan.processors, scores, histories);
      applyProcessors(plan.warpers, scores, histories);
      if (plan.outputScores) scoresOut.push(scores.slice());
      const tokens: number[] = new Array(rows);
      for (let r = 0; r < rows; r++) {
        const row = scores.subarray(r * vocab, (r + 1) * vocab);
        const t = plan.prng ? sampleToken(row, plan.prng) : argmax(row);
        tokens[r] = eos.length > 0 && !unfinished[r] ? plan.pad ?? eos[0] : t;
        histories[r].push(tokens[r]);
      }
      yield tokens;
      for (let r = 0; r < rows; r++) if (isEos(tokens[r], eos)) unfinished[r] = 0;
      const done = !unfinished.includes(1) || histories[0].length >= plan.maxLength ||
        (plan.deadline !== null && plan.now() > plan.deadline);
      if (done) break;
      if (expand) {
        const rowImage = Array.from({ length: rows }, (_, r) => Math.floor(r / k));
        const expanded = stepper.select(cache, rowImage);
        stepper.release(cache);
        cache = expanded;
        expand = false;
      }
      throwIfAborted(signal, `after ${histories[0].length - prompts[0].length} tokens`);
      const out = await awaitRun(
        stepper.step(cache, tokens),
        stepper,
        signal,
        `after ${histories[0].length - prompts[0].length} tokens`,
      );
      if (out.cache !== cache) stepper.release(cache);
      cache = out.cache;
      logits = out.logits;
    }
  } finally {
    if (cache !== null) stepper.release(cache);
  }
  return {
    sequences: histories,
    sequencesScores: null,
    ...(plan.outputScores ? { scores: scoresOut } : {}),
  };
}
