/**
 * A checkpoint's tensors by name, and the checks a model family runs before building a graph:
 * take a tensor with its expected shape, or list every missing, unexpected and mis-shaped name
 * at once.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { formatShape, type WeightDtype, type WeightTensor } from "./weight_tensor.ts";

/** Tensors by checkpoint name (e.g. `decoder.transformer.h.0.attn.c_attn.weight`). */
export type WeightMap = Map<string, WeightTensor>;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Takes one tensor by name, checking its shape (and dtype when given).
 * @param map the checkpoint's tensors
 * @param name checkpoint name
 * @param shape expected dimensions; omit to accept any
 * @param options `dtypes`: accepted element types; `source`: where the map came from, for messages
 * @returns the tensor
 * @throws ModelLoadError naming the tensor when it is missing, mis-shaped or of another dtype
 * @example
 * ```ts
 * import { getWeight } from "./weight_map.ts";
 * const map = new Map([["w", { dtype: "F32" as const, shape: [2], data: new Uint8Array(8) }]]);
 * getWeight(map, "w", [2]).shape; // [2]
 * ```
 */
export function getWeight(
  map: ReadonlyMap<string, WeightTensor>,
  name: string,
  shape?: readonly number[],
  options: { dtypes?: readonly WeightDtype[]; source?: string } = {},
): WeightTensor {
  const where = options.source ? ` in ${options.source}` : "";
  const t = map.get(name);
  if (!t) {
    throw new ModelLoadError(`Cannot find weight ${name}${where}: missing from the checkpoint`);
  }
  if (shape && !sameShape(t.shape, shape)) {
    throw new ModelLoadError(
      `${name}${where}: expected ${formatShape(shape)}, found ${formatShape(t.shape)}`,
    );
  }
  if (options.dtypes && !options.dtypes.includes(t.dtype)) {
    throw new ModelLoadError(
      `${name}${where}: expected dtype ${options.dtypes.join(" or ")}, found ${t.dtype}`,
    );
  }
  return t;
}

/** Expected names, optionally with their shapes (null or undefined: any shape). */
export type ExpectedWeights =
  | Iterable<string>
  | ReadonlyMap<string, readonly number[] | null | undefined>;

/** Options of {@link checkNames}. */
export interface CheckNamesOptions {
  /** Expected names matching any of these may be absent (e.g. tied `lm_head.weight`). */
  ignoreMissing?: RegExp[];
  /** Present names matching any of these are not reported (e.g. `attn.masked_bias` buffers). */
  ignoreUnexpected?: RegExp[];
}

/** What {@link checkNames} found; `problems` has one line per issue, empty when all is well. */
export interface NameCheck {
  /** Expected names not in the map (ignored ones excluded), in expected order. */
  missing: string[];
  /** Names in the map not expected (ignored ones excluded), in map order. */
  unexpected: string[];
  /** `name: expected [a, b], found [c, d]` for each mis-shaped tensor. */
  misShaped: string[];
  /** All of the above as readable lines. */
  problems: string[];
}

/**
 * Compares a checkpoint's names (and shapes) with what a model expects, reporting every problem
 * at once rather than the first.
 * @param map the checkpoint's tensors
 * @param expected names, or a map name -> shape
 * @param options regular expressions of names allowed to be missing or unexpected
 * @returns the lists of missing, unexpected and mis-shaped names
 * @example
 * ```ts
 * import { checkNames } from "./weight_map.ts";
 * checkNames(new Map(), ["a"]).missing; // ["a"]
 * ```
 */
export function checkNames(
  map: ReadonlyMap<string, WeightTensor>,
  expected: ExpectedWeights,
  options: CheckNamesOptions = {},
): NameCheck {
  const shapes = new Map<string, readonly number[] | null | undefined>();
  if (isShapeMap(expected)) { for (const [k, v] of expected) shapes.set(k, v); }
  else for (const k of expected as Iterable<string>) shapes.set(k, undefined);
  const matches = (res: RegExp[] | undefined, name: string): boolean =>
    (res ?? []).some((re) => {
      re.lastIndex = 0;
      return re.test(name);
    });
  const missing: string[] = [];
  const misShaped: string[] = [];
  for (const [name, shape] of shapes) {
    const t = map.get(name);
    if (!t) {
      if (!matches(options.ignoreMissing, name)) missing.push(name);
    } else if (shape && !sameShape(t.shape, shape)) {
      misShaped.push(`${name}: expected ${formatShape(shape)}, found ${formatShape(t.shape)}`);
    }
  }
  const unexpected = [...map.keys()].filter((name) =>
    !shapes.has(name) && !matches(options.ignoreUnexpected, name)
  );
  const problems = [
    ...missing.map((n) => `missing: ${n}`),
    ...unexpected.map((n) => `unexpected: ${n}`),
    ...misShaped,
  ];
  return { missing, unexpected, misShaped, problems };
}

function isShapeMap(e: ExpectedWeights): e is ReadonlyMap<string, readonly number[] | null> {
  return e instanceof Map;
}

/**
 * Runs {@link checkNames} and throws one ModelLoadError listing every problem.
 * @param map the checkpoint's tensors
 * @param expected names, or a map name -> shape
 * @param options as for checkNames, plus `source` naming the checkpoint in the message
 * @returns nothing; throws when there is any problem
 */
export function assertNames(
  map: ReadonlyMap<string, WeightTensor>,
  expected: ExpectedWeights,
  options: CheckNamesOptions & { source?: string } = {},
): void {
  const { problems } = checkNames(map, expected, options);
  if (problems.length === 0) return;
  const where = options.source ? ` ${options.source}` : " checkpoint";
  throw new ModelLoadError(
    `Cannot use weights of${where}: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`,
  );
}
