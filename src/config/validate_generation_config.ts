/**
 * Validation of a whole GenerationConfig (src/config/generation_config.ts): each field's range,
 * the combinations Python refuses, what vedge does not implement (refused, never ignored), and
 * vedge's bounds (src/config/generation_limits.ts).
 * @module
 */
import type { GenerationConfig } from "./generation_config.ts";
import { checkGenerationLimits, type DecoderShape } from "./generation_limits.ts";

/** A check of one field on its own: which field, and the check (throws RangeError). */
type FieldCheck = [keyof GenerationConfig, (c: GenerationConfig) => void];

function range(ok: boolean, msg: string): void {
  if (!ok) throw new RangeError(msg);
}

/** What vedge does not implement: refused rather than ignored. */
function unsupported(on: boolean, what: string): void {
  if (on) throw new RangeError(`${what} is not supported by vedge`);
}

/** Checks that depend on one field alone (so they can run before the model's defaults are known). */
const FIELD_CHECKS: FieldCheck[] = [
  ...(["max_length", "min_length", "no_repeat_ngram_size", "top_k"] as const).map((k) =>
    [k, (c: GenerationConfig) => range(c[k] >= 0, `${k} must be >= 0, got ${c[k]}`)] as FieldCheck
  ),
  ["max_new_tokens", (c) =>
    range(
      c.max_new_tokens === null || c.max_new_tokens >= 1,
      `max_new_tokens must be >= 1, got ${c.max_new_tokens}`,
    )],
  ["min_new_tokens", (c) =>
    range(
      c.min_new_tokens === null || c.min_new_tokens >= 0,
      `min_new_tokens must be >= 0, got ${c.min_new_tokens}`,
    )],
  [
    "max_time",
    (c) => range(c.max_time === null || c.max_time > 0, `max_time must be > 0, got ${c.max_time}`),
  ],
  ["num_beams", (c) => range(c.num_beams >= 1, `num_beams must be >= 1, got ${c.num_beams}`)],
  ["num_return_sequences", (c) =>
    range(
      c.num_return_sequences >= 1,
      `num_return_sequences must be >= 1, got ${c.num_return_sequences}`,
    )],
  ["top_p", (c) => range(c.top_p > 0 && c.top_p <= 1, `top_p must be in (0, 1], got ${c.top_p}`)],
  [
    "repetition_penalty",
    (c) =>
      range(
        c.repetition_penalty > 0,
        `repetition_penalty must be > 0, got ${c.repetition_penalty}`,
      ),
  ],
  ["seed", (c) =>
    range(
      c.seed === null || (c.seed >= 0 && c.seed <= Number.MAX_SAFE_INTEGER),
      `seed must be a non-negative integer, got ${c.seed}`,
    )],
  [
    "num_beam_groups",
    (c) =>
      unsupported(
        c.num_beam_groups !== 1,
        `num_beam_groups ${c.num_beam_groups} (group beam search)`,
      ),
  ],
  ["penalty_alpha", (c) =>
    unsupported(
      c.penalty_alpha !== null && c.penalty_alpha > 0,
      `penalty_alpha ${c.penalty_alpha} (contrastive search)`,
    )],
  [
    "constraints",
    (c) => unsupported(c.constraints !== null, "constraints (constrained beam search)"),
  ],
  [
    "force_words_ids",
    (c) => unsupported(c.force_words_ids !== null, "force_words_ids (constrained beam search)"),
  ],
  ["encoder_repetition_penalty", (c) =>
    unsupported(
      c.encoder_repetition_penalty !== 1,
      `encoder_repetition_penalty ${c.encoder_repetition_penalty} (the encoder input is an image)`,
    )],
  ["encoder_no_repeat_ngram_size", (c) =>
    unsupported(
      c.encoder_no_repeat_ngram_size > 0,
      `encoder_no_repeat_ngram_size ${c.encoder_no_repeat_ngram_size} (the encoder input is an image)`,
    )],
  ["output_attentions", (c) => unsupported(c.output_attentions, "output_attentions")],
  ["output_hidden_states", (c) => unsupported(c.output_hidden_states, "output_hidden_states")],
];

/**
 * Runs the checks of the given fields only (each depends on its field alone).
 * @param c a config holding the given values
 * @param given snake_case names of the fields given
 * @returns nothing; throws RangeError naming the option and value
 */
export function checkGivenFields(c: GenerationConfig, given: ReadonlySet<string>): void {
  for (const [field, check] of FIELD_CHECKS) if (given.has(field)) check(c);
}

/**
 * Checks a whole config: ranges, combinations, options vedge does not implement, and vedge's
 * bounds (src/config/generation_limits.ts; the memory estimate only when `model` gives the
 * decoder's shape).
 * @param c the config
 * @param model images generated together (default 1) and the decoder's shape, when known
 * @returns nothing; throws TypeError / RangeError naming the option and value
 */
export function validateGenerationConfig(
  c: GenerationConfig,
  model: { images?: number; decoder?: DecoderShape } = {},
): void {
  for (const [, check] of FIELD_CHECKS) check(c);
  if (c.do_sample) {
    range(c.temperature > 0, `temperature must be > 0 when sampling, got ${c.temperature}`);
  }
  if (c.num_beams > 1 && !c.do_sample) {
    range(
      c.num_return_sequences <= c.num_beams,
      `num_return_sequences (${c.num_return_sequences}) must be <= num_beams (${c.num_beams}) in beam search`,
    );
  }
  if (c.num_beams === 1 && !c.do_sample) {
    range(
      c.num_return_sequences === 1,
      `num_return_sequences must be 1 in greedy search, got ${c.num_return_sequences} (set do_sample or num_beams)`,
    );
  }
  unsupported(
    c.do_sample && c.num_beams > 1,
    `do_sample with num_beams ${c.num_beams} (beam sample)`,
  );
  if (c.do_sample) {
    unsupported(c.typical_p < 1, `typical_p ${c.typical_p}`);
    unsupported(c.epsilon_cutoff > 0 && c.epsilon_cutoff < 1, `epsilon_cutoff ${c.epsilon_cutoff}`);
    unsupported(c.eta_cutoff > 0 && c.eta_cutoff < 1, `eta_cutoff ${c.eta_cutoff}`);
  }
  checkGenerationLimits(c, model);
}
