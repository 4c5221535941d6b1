/**
 * Bounds on what one generate() call may ask for, checked before anything runs: caps on
 * num_beams, num_return_sequences and sequence length, and an estimate of the memory the decoding
 * loop needs (logits of every row, self-attention cache at full length) against a budget. Python
 * has no such bounds; vedge adds them so that `num_beams: 1e6` is one clear RangeError instead of
 * a process that grows until it is killed. The defaults allow real use and are raised per call
 * through the `limits` generation option (`{limits: {max_num_beams: 128}}`, camelCase or
 * snake_case), never through a model's own files.
 * @module
 */

/** The bounds, snake_case as the other generation fields. */
export interface GenerationLimits {
  /** Largest num_beams. */
  max_num_beams: number;
  /** Largest num_return_sequences (what matters for sampling: beam search has num_beams). */
  max_num_return_sequences: number;
  /** Longest sequence: max_length, or max_new_tokens plus the decoder prompt. */
  max_tokens: number;
  /** Largest memory estimate of the decoding loop, in bytes (see {@link estimateGenerationMemory}). */
  max_memory: number;
}

/**
 * The defaults: beam search up to 64 beams; sampling up to 10000 sequences per image (many draws
 * are a real use, e.g. estimating a distribution; the memory estimate bounds them by the
 * vocabulary); 4096 tokens; 4 GiB for the decoding loop.
 */
export const DEFAULT_GENERATION_LIMITS: Readonly<GenerationLimits> = Object.freeze({
  max_num_beams: 64,
  max_num_return_sequences: 10000,
  max_tokens: 4096,
  max_memory: 4 * 1024 ** 3,
});

const LIMIT_KEYS = Object.keys(DEFAULT_GENERATION_LIMITS) as (keyof GenerationLimits)[];

/** The generation fields the bounds are checked against (a GenerationConfig satisfies it). */
export interface LimitedConfig {
  /** Longest sequence, decoder start token included (GenerationConfig.max_length). */
  max_length: number;
  /** New tokens to generate, when set (wins over max_length). */
  max_new_tokens: number | null;
  /** Beams per image. */
  num_beams: number;
  /** Sequences returned per image. */
  num_return_sequences: number;
  /** Sampling (each returned sequence is a row of its own). */
  do_sample: boolean;
  /** Keep one logits copy per step. */
  output_scores: boolean;
  /** Per-call raises of the defaults. */
  limits: Partial<GenerationLimits> | null;
}

/** What the memory estimate needs of the model's decoder (a ModelConfig satisfies it). */
export interface DecoderShape {
  /** Logits per row. */
  vocabSize: number | null;
  /** Decoder layers (each with a self-attention key and value). */
  numLayers: number;
  /** Width of a key or value row (heads x head size). */
  hiddenSize: number;
}

/** The memory estimate, in bytes, by part. */
export interface MemoryEstimate {
  /** Rows generated together: images x beams, or images x return sequences when sampling. */
  rows: number;
  /** Logits as the decoder returns them plus the scores derived from them, per step. */
  logits: number;
  /** Self-attention keys and values at full length, fed in and returned (null: decoder unknown). */
  cache: number | null;
  /** Scores kept for every step with output_scores. */
  scores: number;
  /** The sum. */
  total: number;
}

/**
 * Reads a `limits` generation option: an object of {@link GenerationLimits} keys (camelCase or
 * snake_case), each a positive number (integers for counts).
 * @param v the option's value
 * @returns the limits given, snake_case
 * @throws TypeError / RangeError naming the key and the value
 */
export function parseGenerationLimits(v: unknown): Partial<GenerationLimits> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`limits must be an object such as {"max_num_beams": 128}, got ${show(v)}`);
  }
  const out: Partial<GenerationLimits> = {};
  for (const [rawKey, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const key = rawKey.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()) as keyof GenerationLimits;
    if (!LIMIT_KEYS.includes(key)) {
      throw new TypeError(`Unknown limit "${rawKey}": expected one of ${LIMIT_KEYS.join(", ")}`);
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`limits.${key} must be a positive number, got ${show(value)}`);
    }
    if (key !== "max_memory" && !Number.isInteger(value)) {
      throw new RangeError(`limits.${key} must be an integer, got ${value}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * The bounds in force: the defaults overridden by the config's `limits`.
 * @param c the config
 * @returns every bound
 */
export function effectiveLimits(c: Pick<LimitedConfig, "limits">): GenerationLimits {
  return { ...DEFAULT_GENERATION_LIMITS, ...(c.limits ?? {}) };
}

/**
 * Estimates the memory of the decoding loop for `images` images, the way vedge's loops allocate:
 * - logits: rows x vocab x 4 bytes, twice (the decoder's output and the processed scores that
 *   greedy, sampling and beam search derive from it each step);
 * - self-attention cache: 2 (key, value) x layers x rows x hidden x length x 4 bytes, twice
 *   (the past fed to a step and the present it returns);
 * - with output_scores, one rows x vocab copy per step.
 * Cross-attention keys and values are per image, not per row, and are left out.
 * @param c the config (num_beams, num_return_sequences, lengths, do_sample, output_scores)
 * @param options images generated together (default 1) and the decoder's shape when known
 * @returns the estimate by part
 */
export function estimateGenerationMemory(
  c: LimitedConfig,
  options: { images?: number; decoder?: DecoderShape } = {},
): MemoryEstimate {
  const images = options.images ?? 1;
  const perImage = c.num_beams > 1 ? c.num_beams : c.do_sample ? c.num_return_sequences : 1;
  const rows = images * perImage;
  const length = sequenceLength(c);
  const vocab = options.decoder?.vocabSize ?? 0;
  const logits = 2 * rows * vocab * 4;
  const scores = c.output_scores ? rows * vocab * 4 * length : 0;
  const d = options.decoder;
  const cache = d ? 2 * (2 * d.numLayers * rows * d.hiddenSize * length * 4) : null;
  return { rows, logits, cache, scores, total: logits + scores + (cache ?? 0) };
}

/** The longest sequence the config allows (the decoder start token counted once). */
function sequenceLength(c: Pick<LimitedConfig, "max_length" | "max_new_tokens">): number {
  return c.max_new_tokens !== null ? c.max_new_tokens + 1 : c.max_length;
}

/**
 * Checks a config against its bounds. Without the decoder's shape only the caps are checked
 * (what can be known before a model loads); with it, the memory estimate too.
 * @param c the config
 * @param options images generated together (default 1), the decoder's shape when known
 * @returns nothing; throws RangeError naming the option, its value, the bound and how to raise it
 */
export function checkGenerationLimits(
  c: LimitedConfig,
  options: { images?: number; decoder?: DecoderShape } = {},
): void {
  const l = effectiveLimits(c);
  const over = (value: number, bound: number, what: string, key: keyof GenerationLimits): void => {
    if (value > bound) {
      throw new RangeError(
        `${what} ${value} is over vedge's limit of ${bound} (raise it with the generation option ` +
          `limits.${key})`,
      );
    }
  };
  over(c.num_beams, l.max_num_beams, "num_beams", "max_num_beams");
  over(
    c.num_return_sequences,
    l.max_num_return_sequences,
    "num_return_sequences",
    "max_num_return_sequences",
  );
  if (c.max_new_tokens !== null) {
    over(c.max_new_tokens, l.max_tokens, "max_new_tokens", "max_tokens");
  } else over(c.max_length, l.max_tokens, "max_length", "max_tokens");
  if (!options.decoder) return;
  const e = estimateGenerationMemory(c, options);
  if (e.total > l.max_memory) {
    const parts = [`logits ${formatBytes(e.logits)}`];
    if (e.cache !== null) parts.push(`self-attention cache ${formatBytes(e.cache)}`);
    if (e.scores) parts.push(`output_scores ${formatBytes(e.scores)}`);
    throw new RangeError(
      `Generation would need about ${formatBytes(e.total)} (${e.rows} rows of ` +
        `${options.decoder.vocabSize ?? "?"} logits over ${sequenceLength(c)} tokens: ` +
        `${parts.join(", ")}), over the limit of ${formatBytes(l.max_memory)}; lower num_beams, ` +
        `num_return_sequences, max_new_tokens or the batch, or raise limits.max_memory`,
    );
  }
}

/**
 * Bytes for people: 1536 -> "1.5 KiB".
 * @param n bytes
 * @returns the size with a binary unit
 */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024, i++);
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
