/**
 * What a generate call returns, and the abort plumbing the loops share.
 * @module
 */
import { AbortError } from "../errors.ts";
import type { DecoderStepper, StepOutput } from "./decoder_stepper.ts";

/** Result of `generate`, shaped like Python's `return_dict_in_generate` output. */
export interface GenerateOutput {
  /** Token ids per returned sequence, decoder start token first, finished rows padded. */
  sequences: number[][];
  /** Beam search's `sequences_scores` (one per sequence), else null. */
  sequencesScores: number[] | null;
  /** With output_scores: the processed scores of each step, row-major [rows, vocab]. */
  scores?: Float32Array[];
}

/**
 * Throws AbortError when the signal has fired.
 * @param signal the caller's signal
 * @param where what was being done, for the message
 */
export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) {
    throw new AbortError(`generation aborted ${where}`, { cause: signal.reason });
  }
}

/**
 * Awaits a decoder run, but gives up as soon as the signal fires: the run's cache is then
 * released when it arrives, and AbortError is thrown at once.
 * @param run the pending decoder run
 * @param stepper the stepper (for release)
 * @param signal the caller's signal
 * @param where what was being done, for the message
 * @returns the run's output
 */
export function awaitRun(
  run: Promise<StepOutput>,
  stepper: DecoderStepper,
  signal: AbortSignal | undefined,
  where: string,
): Promise<StepOutput> {
  if (signal === undefined) return run;
  return new Promise<StepOutput>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      run.then((o) => stepper.release(o.cache), () => {});
      reject(new AbortError(`generation aborted ${where}`, { cause: signal.reason }));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    run.then(
      (o) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        resolve(o);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        reject(e);
      },
    );
  });
}
