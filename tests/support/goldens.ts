/**
 * Test support, the one place for the oracle's golden data (tests/fixtures/goldens/<model>.json,
 * made with Hugging Face's Python code; see tests/fixtures/ORACLE.md): its types, loaders, fixture
 * paths, and the one `maxAbsDiff` every parity test uses.
 * @module
 */

/** A golden tensor. */
export interface GoldenTensor {
  dims: number[];
  dtype: string;
  data: number[];
}

/** One `generate` case. */
export interface GoldenCase {
  name: string;
  images: string[];
  kwargs: Record<string, unknown>;
  sequences: number[][];
  sequences_scores: number[] | null;
  text: string[];
  text_no_cleanup: string[];
  min_candidate_score_gap: number;
}

/** The parts of a golden file the tests read. */
export interface Golden {
  special_tokens: Record<string, number>;
  pixel_values: Record<string, GoldenTensor>;
  encoder_last_hidden_state: Record<string, GoldenTensor>;
  decoder_logits: {
    image: string;
    decoder_input_ids: number[][];
    logits: GoldenTensor;
    argmax: number[][];
  };
  generation_config: Record<string, unknown> & {
    decoder_start_token_id: number;
    eos_token_id: number;
    pad_token_id: number;
  };
  loss: { images: string[]; label_texts: string[]; labels: number[][]; loss: number };
  generate: GoldenCase[];
  images: Record<string, { rgb_sha256: string; width: number; height: number }>;
}

/** The fixture model names. */
export const MODELS = ["vit-gpt2", "trocr"] as const;

const cache = new Map<string, Golden>();

/**
 * Loads a model's goldens.
 * @param model fixture model name
 * @returns the parsed golden file
 */
export async function golden(model: string): Promise<Golden> {
  let g = cache.get(model);
  if (!g) {
    g = JSON.parse(
      await Deno.readTextFile(new URL(`../fixtures/goldens/${model}.json`, import.meta.url)),
    ) as Golden;
    cache.set(model, g);
  }
  return g;
}

/**
 * Folder of a fixture model.
 * @param model fixture model name
 * @returns its path
 */
export function modelDir(model: string): string {
  return new URL(`../fixtures/models/${model}`, import.meta.url).pathname;
}

/**
 * Path of a fixture image.
 * @param name file name
 * @returns its path
 */
export function imagePath(name: string): string {
  return new URL(`../fixtures/images/${name}`, import.meta.url).pathname;
}

/** Values to compare: an array (typed or not), or a tensor-like {dims, data}. */
export type Numbers = ArrayLike<number> | {
  readonly dims: readonly number[];
  readonly data: unknown;
};

function parts(x: Numbers): { values: ArrayLike<number>; dims: readonly number[] | null } {
  if ("dims" in x && "data" in x) {
    return { values: x.data as ArrayLike<number>, dims: x.dims };
  }
  return { values: x as ArrayLike<number>, dims: null };
}

/**
 * Largest absolute difference between two arrays or tensors: lengths must agree, and shapes too
 * when both sides have one.
 * @param a computed values
 * @param b reference
 * @returns max |a - b|
 * @throws RangeError when the lengths or shapes differ
 */
export function maxAbsDiff(a: Numbers, b: Numbers): number {
  const x = parts(a), y = parts(b);
  if (x.dims !== null && y.dims !== null && x.dims.join(",") !== y.dims.join(",")) {
    throw new RangeError(`shape [${x.dims}] differs from expected [${y.dims}]`);
  }
  if (x.values.length !== y.values.length) {
    throw new RangeError(`lengths differ: ${x.values.length} vs ${y.values.length}`);
  }
  let m = 0;
  for (let i = 0; i < x.values.length; i++) {
    m = Math.max(m, Math.abs(x.values[i] - y.values[i]));
  }
  return m;
}
