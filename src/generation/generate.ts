/**
 * `generate`: the entry point of decoding, transformers v4.27 `GenerationMixin.generate` over a
 * {@link DecoderStepper}. Picks the mode from the config (greedy, multinomial sampling, beam
 * search), builds the processors in Python's order, resolves the length limits, and returns
 * Python's `sequences` (decoder start token first, finished rows padded) and, for beam search,
 * `sequences_scores`. `generateStream` yields each step's tokens as they come.
 * @module
 */
import type { GenerationConfig } from "../config/generation_config.ts";
import { eosTokenIds, validateGenerationConfig } from "../config/generation_config.ts";
import type { DecoderStepper } from "./decoder_stepper.ts";
import { buildLogitsProcessors, buildLogitsWarpers } from "./logits_processor_builder.ts";
import { planStopping } from "./stopping.ts";
import { Prng } from "./prng.ts";
import { tokenSearch } from "./greedy_search.ts";
import { beamSearch } from "./beam_search.ts";
import type { GenerateOutput } from "./generate_output.ts";

export type { GenerateOutput } from "./generate_output.ts";

/** Receives each step's new tokens (one per row; finished rows get pad_token_id). */
export interface TokenStreamer {
  /** Called once per step. @param ids the new token of each row */
  onToken(ids: number[]): void;
  /** Called once when generation ends normally. */
  onEnd?(): void;
}

/** Per-call options that are not generation settings. */
export interface GenerateOptions {
  /** Stops generation promptly: caches are released and AbortError is thrown. */
  signal?: AbortSignal;
  /** Receives tokens as they are generated (greedy and sampling). */
  streamer?: TokenStreamer;
  /** Decoder prompt per image (default `[decoder_start_token_id]`), all the same length. */
  decoderInputIds?: readonly (readonly number[])[];
  /** Clock for max_time, in ms (default `performance.now`). */
  now?: () => number;
}

function resolvePrompts(
  stepper: DecoderStepper,
  c: GenerationConfig,
  given: readonly (readonly number[])[] | undefined,
): number[][] {
  if (given !== undefined) {
    if (given.length !== stepper.images) {
      throw new RangeError(
        `decoderInputIds has ${given.length} prompts but the decoder is bound to ${stepper.images} images`,
      );
    }
    const len = given[0]?.length ?? 0;
    for (const p of given) {
      if (p.length === 0 || p.length !== len) {
        throw new RangeError(`decoderInputIds must be non-empty and all the same length`);
      }
      for (const t of p) {
        if (!Number.isInteger(t) || t < 0 || t >= stepper.vocabSize) {
          throw new RangeError(
            `decoderInputIds holds ${t}, not a token id below ${stepper.vocabSize}`,
          );
        }
      }
    }
    return given.map((p) => [...p]);
  }
  const start = c.decoder_start_token_id ?? c.bos_token_id;
  if (start === null) {
    throw new RangeError(
      "decoder_start_token_id or bos_token_id has to be defined for encoder-decoder generation",
    );
  }
  if (!Number.isInteger(start) || start < 0 || start >= stepper.vocabSize) {
    throw new RangeError(
      `${
        c.decoder_start_token_id === null ? "bos_token_id" : "decoder_start_token_id"
      } is ${start}, not a token id below the decoder's vocabulary of ${stepper.vocabSize}`,
    );
  }
  return Array.from({ length: stepper.images }, () => [start]);
}

/**
 * Generation as an async iterator: yields each step's new token per row (greedy and sampling;
 * beam search yields nothing until it returns), and returns the full output.
 * @param stepper the decoder bound to a batch of images
 * @param config a GenerationConfig (from `resolveGenerationConfig`)
 * @param options signal, prompts, clock
 * @returns an async generator of per-step tokens whose return value is the output
 */
export async function* generateStream(
  stepper: DecoderStepper,
  config: GenerationConfig,
  options: GenerateOptions = {},
): AsyncGenerator<number[], GenerateOutput, undefined> {
  validateGenerationConfig(config);
  if (stepper.images < 1) throw new RangeError(`the decoder is bound to ${stepper.images} images`);
  const prompts = resolvePrompts(stepper, config, options.decoderInputIds);
  const promptLength = prompts[0].length;
  const { maxLength, maxTimeMs } = planStopping(config, promptLength, stepper.maxPositions);
  const now = options.now ?? (() => performance.now());
  const deadline = maxTimeMs === null ? null : now() + maxTimeMs;
  const eos = eosTokenIds(config);
  // generate() sets pad_token_id to the (first) eos_token_id when only the latter is known
  const pad = config.pad_token_id ?? (eos.length > 0 ? eos[0] : null);
  for (const id of [...eos, ...(pad === null ? [] : [pad])]) {
    if (!Number.isInteger(id) || id < 0 || id >= stepper.vocabSize) {
      throw new RangeError(
        `token id ${id} (eos/pad) is outside the vocabulary of ${stepper.vocabSize}`,
      );
    }
  }
  const processors = buildLogitsProcessors(config, promptLength, maxLength);
  const common = { prompts, maxLength, deadline, eos, pad, now, signal: options.signal };
  if (config.num_beams > 1) {
    return await beamSearch(stepper, {
      ...common,
      numBeams: config.num_beams,
      numReturnSequences: config.num_return_sequences,
      lengthPenalty: config.length_penalty,
      earlyStopping: config.early_stopping,
      processors,
      outputScores: config.output_scores,
    });
  }
  const sampling = config.do_sample;
  return yield* tokenSearch(stepper, {
    ...common,
    rowsPerImage: sampling ? config.num_return_sequences : 1,
    processors,
    warpers: sampling ? buildLogitsWarpers(config) : [],
    prng: sampling ? new Prng(config.seed ?? randomSeed()) : undefined,
    outputScores: config.output_scores,
  });
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/**
 * Generates token ids for the images bound to the stepper.
 * @param stepper the decoder bound to a batch of images
 * @param config a GenerationConfig (from `resolveGenerationConfig`)
 * @param options signal, streamer, prompts, clock
 * @returns sequences (decoder start token first), sequences_scores for beam search, and the
 *   processed scores per step with output_scores
 * @example
 * ```ts
 * const config = resolveGenerationConfig(modelGenerationConfig, { maxNewTokens: 16, numBeams: 4 });
 * const { sequences, sequencesScores } = await generate(stepper, config);
 * ```
 */
export async function generate(
  stepper: DecoderStepper,
  config: GenerationConfig,
  options: GenerateOptions = {},
): Promise<GenerateOutput> {
  if (options.streamer !== undefined && config.num_beams > 1) {
    throw new RangeError("a streamer cannot be used with beam search (num_beams > 1)");
  }
  const it = generateStream(stepper, config, options);
  let finished = false;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        options.streamer?.onEnd?.();
        return r.value;
      }
      options.streamer?.onToken(r.value);
    }
  } finally {
    // a streamer that throws leaves the generator suspended: close it so its caches are released
    if (!finished) await it.return(undefined as never);
  }
}
