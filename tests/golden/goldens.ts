/**
 * Access to the oracle's golden data (tests/fixtures/goldens/<model>.json, made with Hugging
 * Face's Python code; see tests/fixtures/ORACLE.md).
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
  decoder_logits: { image: string; decoder_input_ids: number[][]; logits: GoldenTensor };
  loss: { images: string[]; labels: number[][]; loss: number };
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

/**
 * Largest absolute difference between two arrays of equal length.
 * @param a values
 * @param b reference
 * @returns max |a - b|
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
