/**
 * The oracle fixtures the benchmarks run on (tests/fixtures/models/<model>, goldens/<model>.json):
 * model files, the golden pixel values, and the golden token ids every engine must reproduce
 * before it is timed.
 * @module
 */
import { type Golden, golden } from "../../tests/support/goldens.ts";

export type { Golden };

/** The fixture models. */
export type FixtureModel = "vit-gpt2" | "trocr";

/** The project root. */
export const ROOT: URL = new URL("../../", import.meta.url);

/**
 * Folder of a fixture model, in Hub layout.
 * @param model the fixture
 * @returns its URL (ends with "/")
 */
export function modelDir(model: FixtureModel): URL {
  return new URL(`tests/fixtures/models/${model}/`, ROOT);
}

/**
 * Reads a model's goldens (the one loader and the one `Golden` type: tests/support/goldens.ts).
 * @param model the fixture
 * @returns the parsed goldens
 */
export function readGolden(model: FixtureModel): Promise<Golden> {
  return golden(model);
}

/**
 * The golden token ids of one generate case.
 * @param golden the goldens
 * @param name case name ("greedy", "beam4", ...)
 * @returns the sequences, decoder start token first
 */
export function goldenIds(golden: Golden, name: string): number[][] {
  const c = golden.generate.find((g) => g.name === name);
  if (!c) throw new RangeError(`no golden generate case named ${name}`);
  return c.sequences;
}

/**
 * The decoder's position limit from config.json (n_positions or max_position_embeddings).
 * @param model the fixture
 * @returns the limit
 */
export async function maxPositions(model: FixtureModel): Promise<number> {
  const cfg = JSON.parse(await Deno.readTextFile(new URL("config.json", modelDir(model))));
  const d = cfg.decoder ?? {};
  return d.n_positions ?? d.max_position_embeddings ?? Infinity;
}

/**
 * Whether two lists of sequences are equal.
 * @param a token ids
 * @param b token ids
 * @returns true when every id matches
 */
export function sameIds(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): boolean {
  return a.length === b.length &&
    a.every((r, i) => r.length === b[i].length && r.every((v, j) => v === b[i][j]));
}

/**
 * Reads a command-line flag `--name value`.
 * @param args the arguments
 * @param name flag name without dashes
 * @param fallback value when absent
 * @returns the value
 */
export function flag(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
