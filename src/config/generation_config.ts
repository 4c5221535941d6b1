/**
 * Hugging Face `GenerationConfig` (transformers v4.27, `generation/configuration_utils.py`): the
 * fields with Python's defaults, parsed from `generation_config.json` (snake_case) or derived from
 * `config.json` as `GenerationConfig.from_model_config` does, merged with user options given in
 * camelCase (our API) or snake_case (CLI `--generation-config`, transformers.js), and validated.
 * Options vedge does not implement throw; they are never ignored. The file is past 400 lines
 * because most of it is one table, said twice by nature: the interface (one documented field per
 * Python field) and the kinds-and-defaults table in v4.27's `__init__` order.
 * @module
 */
import {
  checkGenerationLimits,
  type GenerationLimits,
  parseGenerationLimits,
} from "./generation_limits.ts";
import { checkGivenFields, validateGenerationConfig } from "./validate_generation_config.ts";

export { validateGenerationConfig };

/** `early_stopping` of beam search: stop at num_beams hypotheses, the heuristic, or canonical. */
export type EarlyStopping = boolean | "never";

/** Generation settings, Hugging Face field names. Token ids are null when unset. */
export interface GenerationConfig {
  /** Longest sequence, prompt included (Python default 20); `max_new_tokens` wins when set. */
  max_length: number;
  /** Most tokens to generate, prompt excluded (null: use `max_length`). */
  max_new_tokens: number | null;
  /** Shortest sequence, prompt included: EOS is suppressed before it. */
  min_length: number;
  /** Fewest tokens to generate, prompt excluded (null: use `min_length`). */
  min_new_tokens: number | null;
  /** When beam search stops (see {@link EarlyStopping}). */
  early_stopping: EarlyStopping;
  /** Seconds after which generation stops (null: no limit). */
  max_time: number | null;
  /** Sample from the distribution instead of taking the most likely token. */
  do_sample: boolean;
  /** Beams per image; 1 means no beam search. */
  num_beams: number;
  /** Diverse beam search groups (vedge supports 1 only). */
  num_beam_groups: number;
  /** Contrastive search's degeneration penalty (not supported by vedge: null or 0). */
  penalty_alpha: number | null;
  /** Whether the decoder keeps past keys/values (vedge always does; accepted for compatibility). */
  use_cache: boolean;
  /** Divides the logits before sampling. */
  temperature: number;
  /** Keep only the k most likely tokens when sampling (0: no limit). */
  top_k: number;
  /** Keep the smallest set of tokens whose probabilities add up to top_p when sampling. */
  top_p: number;
  /** Locally typical sampling mass (1: off; vedge refuses other values when sampling). */
  typical_p: number;
  /** Epsilon sampling: drop tokens below this probability (0: off; not supported by vedge). */
  epsilon_cutoff: number;
  /** Eta sampling cutoff (0: off; not supported by vedge). */
  eta_cutoff: number;
  /** Diverse beam search's penalty between groups (no effect with one group). */
  diversity_penalty: number;
  /** Penalty on tokens already in the sequence (1: none). */
  repetition_penalty: number;
  /** Penalty on tokens not in the encoder input (1: none; vedge refuses others, its input is an image). */
  encoder_repetition_penalty: number;
  /** Beam score = sum of log-probabilities / length ** length_penalty. */
  length_penalty: number;
  /** N-grams of this size never repeat in a sequence (0: off). */
  no_repeat_ngram_size: number;
  /** Token sequences never generated. */
  bad_words_ids: number[][] | null;
  /** Token sequences that must appear (constrained beam search; not supported by vedge). */
  force_words_ids: unknown;
  /** Normalise the scores again after the logits processors. */
  renormalize_logits: boolean;
  /** Custom constraints of constrained beam search (not supported by vedge). */
  constraints: unknown;
  /** Token forced as the first generated token. */
  forced_bos_token_id: number | null;
  /** Token(s) forced when the sequence reaches its maximum length. */
  forced_eos_token_id: number | number[] | null;
  /** Replace NaN and infinite scores so generation does not crash. */
  remove_invalid_values: boolean;
  /** [start index, decay factor]: raises EOS's score exponentially after start. */
  exponential_decay_length_penalty: [number, number] | null;
  /** Tokens whose logits are set to -inf at every step. */
  suppress_tokens: number[] | null;
  /** Tokens suppressed at the first generated position only. */
  begin_suppress_tokens: number[] | null;
  /** [position, token] pairs forced at those generation steps. */
  forced_decoder_ids: [number, number][] | null;
  /** Sequences returned per image (at most num_beams in beam search). */
  num_return_sequences: number;
  /** Return attention weights (not supported by vedge: must be false). */
  output_attentions: boolean;
  /** Return hidden states (not supported by vedge: must be false). */
  output_hidden_states: boolean;
  /** Also return the processed scores of each step (GenerateOutput.scores). */
  output_scores: boolean;
  /** Return a ModelOutput instead of the ids (accepted for compatibility). */
  return_dict_in_generate: boolean;
  /** Padding token of finished sequences. */
  pad_token_id: number | null;
  /** Beginning-of-sequence token. */
  bos_token_id: number | null;
  /** End-of-sequence token(s): a sequence ends when it generates one. */
  eos_token_id: number | number[] | null;
  /** N-grams of the encoder input that never appear in the output (0: off; vedge refuses others). */
  encoder_no_repeat_ngram_size: number;
  /** First token of every decoder sequence. */
  decoder_start_token_id: number | null;
  /** vedge's own: seed of the sampling PRNG (null: a fixed default seed, 0). */
  seed: number | null;
  /**
   * vedge's own: bounds raised or lowered for this call (null: the defaults). Taken from the
   * caller's options only, never from a model's files. See src/config/generation_limits.ts.
   */
  limits: Partial<GenerationLimits> | null;
}

type Kind =
  | "int"
  | "int?"
  | "num"
  | "num?"
  | "bool"
  | "ids?"
  | "id|ids?"
  | "idss?"
  | "early"
  | "pairs?"
  | "decay?"
  | "limits?"
  | "any";

/** Field -> [kind, Python default]. The order is v4.27's `__init__` order. */
const FIELDS: Record<keyof GenerationConfig, [Kind, unknown]> = {
  max_length: ["int", 20],
  max_new_tokens: ["int?", null],
  min_length: ["int", 0],
  min_new_tokens: ["int?", null],
  early_stopping: ["early", false],
  max_time: ["num?", null],
  do_sample: ["bool", false],
  num_beams: ["int", 1],
  num_beam_groups: ["int", 1],
  penalty_alpha: ["num?", null],
  use_cache: ["bool", true],
  temperature: ["num", 1.0],
  top_k: ["int", 50],
  top_p: ["num", 1.0],
  typical_p: ["num", 1.0],
  epsilon_cutoff: ["num", 0.0],
  eta_cutoff: ["num", 0.0],
  diversity_penalty: ["num", 0.0],
  repetition_penalty: ["num", 1.0],
  encoder_repetition_penalty: ["num", 1.0],
  length_penalty: ["num", 1.0],
  no_repeat_ngram_size: ["int", 0],
  bad_words_ids: ["idss?", null],
  force_words_ids: ["any", null],
  renormalize_logits: ["bool", false],
  constraints: ["any", null],
  forced_bos_token_id: ["int?", null],
  forced_eos_token_id: ["id|ids?", null],
  remove_invalid_values: ["bool", false],
  exponential_decay_length_penalty: ["decay?", null],
  suppress_tokens: ["ids?", null],
  begin_suppress_tokens: ["ids?", null],
  forced_decoder_ids: ["pairs?", null],
  num_return_sequences: ["int", 1],
  output_attentions: ["bool", false],
  output_hidden_states: ["bool", false],
  output_scores: ["bool", false],
  return_dict_in_generate: ["bool", false],
  pad_token_id: ["int?", null],
  bos_token_id: ["int?", null],
  eos_token_id: ["id|ids?", null],
  encoder_no_repeat_ngram_size: ["int", 0],
  decoder_start_token_id: ["int?", null],
  seed: ["int?", null],
  limits: ["limits?", null],
};

/** vedge's own fields: not in Python's GenerationConfig. */
export const VEDGE_GENERATION_FIELDS: readonly string[] = Object.freeze(["seed", "limits"]);

/** Keys Python writes into generation_config.json that are bookkeeping, not settings. */
const BOOKKEEPING = new Set(["transformers_version", "_from_model_config", "generation_kwargs"]);

/**
 * A GenerationConfig with every field at Python's default.
 * @returns a fresh config
 */
export function defaultGenerationConfig(): GenerationConfig {
  const out: Record<string, unknown> = {};
  for (const [k, [, d]] of Object.entries(FIELDS)) out[k] = structuredClone(d);
  return out as unknown as GenerationConfig;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

function checkIdList(name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${name} must be a list of token ids, got ${show(v)}`);
  for (const x of v) {
    if (!isNonNegInt(x)) {
      throw new RangeError(`${name} must hold non-negative integer token ids, got ${show(x)}`);
    }
  }
  return [...v];
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Checks one value against its field's kind; returns the (copied) value or throws. */
function checkField(name: string, kind: Kind, v: unknown): unknown {
  const nullable = kind.endsWith("?") || kind === "any";
  if (v === null) {
    if (nullable) return null;
    throw new TypeError(`${name} cannot be null`);
  }
  switch (kind) {
    case "int":
    case "int?":
      if (typeof v !== "number" || Number.isNaN(v)) {
        throw new TypeError(`${name} must be an integer, got ${show(v)}`);
      }
      if (!Number.isInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
      return v;
    case "num":
    case "num?":
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new TypeError(`${name} must be a finite number, got ${show(v)}`);
      }
      return v;
    case "bool":
      if (typeof v !== "boolean") {
        throw new TypeError(`${name} must be true or false, got ${show(v)}`);
      }
      return v;
    case "early":
      if (typeof v !== "boolean" && v !== "never") {
        throw new TypeError(`early_stopping must be true, false or "never", got ${show(v)}`);
      }
      return v;
    case "ids?":
      return checkIdList(name, v);
    case "id|ids?":
      if (Array.isArray(v)) {
        if (v.length === 0) throw new RangeError(`${name} must not be an empty list`);
        return checkIdList(name, v);
      }
      if (!isNonNegInt(v)) {
        throw new RangeError(`${name} must be a non-negative integer token id, got ${show(v)}`);
      }
      return v;
    case "idss?":
      if (!Array.isArray(v) || v.length === 0) {
        throw new TypeError(
          `${name} must be a non-empty list of lists of token ids, got ${show(v)}`,
        );
      }
      return v.map((w) => {
        const ids = checkIdList(name, w);
        if (ids.length === 0) {
          throw new RangeError(`${name} must not hold an empty list: ${show(v)}`);
        }
        return ids;
      });
    case "pairs?":
      if (!Array.isArray(v)) throw new TypeError(`${name} must be a list of [index, id] pairs`);
      return v.map((p) => {
        if (!Array.isArray(p) || p.length !== 2 || !isNonNegInt(p[0]) || !isNonNegInt(p[1])) {
          throw new RangeError(`${name} must hold [index, token id] pairs, got ${show(p)}`);
        }
        return [p[0], p[1]];
      });
    case "decay?":
      if (
        !Array.isArray(v) || v.length !== 2 || !isNonNegInt(v[0]) || typeof v[1] !== "number" ||
        !Number.isFinite(v[1])
      ) {
        throw new TypeError(`${name} must be [start_index, decay_factor], got ${show(v)}`);
      }
      return [v[0], v[1]];
    case "limits?":
      return parseGenerationLimits(v);
    case "any":
      return structuredClone(v);
  }
}

/** camelCase -> snake_case (`numBeams` -> `num_beams`); snake_case passes through. */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

function applyFields(
  config: GenerationConfig,
  source: Record<string, unknown>,
  what: string,
  strict: boolean,
): void {
  const target = config as unknown as Record<string, unknown>;
  for (const [rawKey, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const key = snake(rawKey);
    const field = (FIELDS as Record<string, [Kind, unknown] | undefined>)[key];
    if (field === undefined) {
      if (!strict || BOOKKEEPING.has(key)) continue;
      throw new TypeError(`Unknown generation option "${rawKey}" in ${what}`);
    }
    // a model's files cannot raise the bounds that protect the caller
    if (key === "limits" && !strict) continue;
    try {
      target[key] = checkField(key, field[0], v);
    } catch (e) {
      const err = e as Error;
      const Ctor = e instanceof RangeError ? RangeError : TypeError;
      throw new Ctor(`Invalid ${what}: ${err.message}`);
    }
  }
}

/**
 * Parses the contents of `generation_config.json` over Python's defaults. Keys Python keeps but
 * that are no generation setting (model-specific extras, `transformers_version`) are ignored.
 * @param json the parsed JSON object
 * @returns the config (not yet validated as a whole: see {@link resolveGenerationConfig})
 */
export function parseGenerationConfig(json: unknown): GenerationConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(`generation_config.json must hold a JSON object, got ${show(json)}`);
  }
  const config = defaultGenerationConfig();
  applyFields(config, json as Record<string, unknown>, "generation_config.json", false);
  return config;
}

/**
 * Derives the generation config from `config.json` when `generation_config.json` is missing, as
 * `GenerationConfig.from_model_config` does: the model config's generation fields, then, for
 * fields still at their default, those of its `decoder` (or `generator`, `text_config`) section.
 * @param modelConfig the parsed config.json
 * @returns the derived config
 */
export function generationConfigFromModelConfig(modelConfig: unknown): GenerationConfig {
  if (modelConfig === null || typeof modelConfig !== "object" || Array.isArray(modelConfig)) {
    throw new TypeError(`config.json must hold a JSON object, got ${show(modelConfig)}`);
  }
  const mc = modelConfig as Record<string, unknown>;
  const config = defaultGenerationConfig();
  const pick = (src: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(FIELDS)) {
      if (k in src && !VEDGE_GENERATION_FIELDS.includes(k)) out[k] = src[k];
    }
    return out;
  };
  applyFields(config, pick(mc), "config.json", false);
  const defaults = defaultGenerationConfig() as unknown as Record<string, unknown>;
  const target = config as unknown as Record<string, unknown>;
  for (const name of ["decoder", "generator", "text_config"]) {
    const sub = mc[name];
    if (sub === null || typeof sub !== "object" || Array.isArray(sub)) continue;
    const fromSub = defaultGenerationConfig();
    applyFields(fromSub, pick(sub as Record<string, unknown>), `config.json ${name}`, false);
    const subValues = fromSub as unknown as Record<string, unknown>;
    for (const k of Object.keys(pick(sub as Record<string, unknown>))) {
      if (show(target[k]) === show(defaults[k])) target[k] = subValues[k];
    }
  }
  return config;
}

/** Options as our API takes them: any GenerationConfig field, camelCase or snake_case. */
export type GenerationOptions = Record<string, unknown>;

/**
 * Merges user options (camelCase or snake_case names; `undefined` means "not given") over a base
 * config and validates the result. Unknown names, wrong types, values out of range and options
 * vedge does not implement throw TypeError / RangeError naming the option and the value.
 * @param base the model's config (from {@link parseGenerationConfig} or
 *   {@link generationConfigFromModelConfig}), or undefined for Python's defaults
 * @param options user options, later objects winning (e.g. `--generation-config` JSON, then flags)
 * @returns a new, validated config
 */
export function resolveGenerationConfig(
  base: GenerationConfig | undefined,
  ...options: (GenerationOptions | undefined)[]
): GenerationConfig {
  const config = structuredClone(base ?? defaultGenerationConfig());
  for (const o of options) {
    if (o === undefined) continue;
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      throw new TypeError(`Generation options must be an object, got ${show(o)}`);
    }
    applyFields(config, o, "generation options", true);
  }
  validateGenerationConfig(config);
  return config;
}

/**
 * Checks user options on their own, before any model (and its generation defaults) is known:
 * names, types, each given field's range, options vedge does not implement, and the caps of
 * src/config/generation_limits.ts. What depends on the model's defaults (num_return_sequences
 * against num_beams, temperature when the model samples) waits for
 * {@link resolveGenerationConfig}.
 * @param options user options, later objects winning, as resolveGenerationConfig takes them
 * @returns nothing; throws TypeError / RangeError naming the option and value
 */
export function validateGenerationOptions(...options: (GenerationOptions | undefined)[]): void {
  const config = defaultGenerationConfig();
  const given = new Set<string>();
  for (const o of options) {
    if (o === undefined) continue;
    if (o === null || typeof o !== "object" || Array.isArray(o)) {
      throw new TypeError(`Generation options must be an object, got ${show(o)}`);
    }
    applyFields(config, o, "generation options", true);
    for (const [k, v] of Object.entries(o)) if (v !== undefined) given.add(snake(k));
  }
  checkGivenFields(config, given);
  // the length caps apply to what was given: max_length only counts without max_new_tokens
  if (!given.has("max_length")) config.max_length = 0;
  checkGenerationLimits(config);
}

/**
 * The EOS ids as a list (Python accepts one id or several).
 * @param c the config
 * @returns the ids, empty when unset
 */
export function eosTokenIds(c: GenerationConfig): number[] {
  const e = c.eos_token_id;
  return e === null ? [] : Array.isArray(e) ? [...e] : [e];
}
