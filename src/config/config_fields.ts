/**
 * Typed field tables for model configs: each family lists its Hugging Face field names with a kind,
 * the Python default and, where a value can be wrong, a constraint (a positive count with an upper
 * bound, a probability, one of a few names). `readFields` merges a config.json dict over those
 * defaults and checks every known field once: a string where a number belongs, a negative
 * vocab_size, a dropout of 2 or an absurd layer count is refused in one line naming the file, the
 * field and the value. Keys are looked up as own properties only, so a config key named
 * `constructor` or `__proto__` is an ordinary unknown field.
 * @module
 */
import { ModelLoadError } from "../errors.ts";

/**
 * What a field may hold. A trailing `?` also allows null.
 * - `int` / `number` / `bool` / `string`: the JSON scalar
 * - `int[]`: array of integers; `ids`: an integer or an array of integers (eos_token_id)
 * - `size`: an integer or a pair of integers (image_size, patch_size)
 * - `json`: anything (dicts such as id2label, lists of strings)
 */
export type FieldKind =
  | "int"
  | "number"
  | "bool"
  | "string"
  | "int[]"
  | "ids"
  | "size"
  | "json"
  | "int?"
  | "number?"
  | "bool?"
  | "string?"
  | "int[]?"
  | "ids?"
  | "size?"
  | "json?";

/**
 * What a field's value must also satisfy, beyond its kind. Numbers are checked as they are; for
 * `int[]`, `ids` and `size` every element is checked.
 * - `min` / `max`: inclusive bounds; `above`: an exclusive lower bound.
 * - `oneOf`: the allowed strings.
 */
export interface FieldCheck {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** The allowed strings. */
  readonly oneOf?: readonly string[];
}

/** One field: its kind, the Python class's default value, and an optional constraint. */
export type FieldSpec = readonly [kind: FieldKind, pythonDefault: unknown, check?: FieldCheck];

/**
 * Upper bounds of sizes, far above any published model of these families and low enough that a
 * config past them is refused before anything is allocated (a 100000-layer decoder would list
 * millions of tensors).
 */
export const LIMITS = {
  /** Transformer layers, stages, heads. */
  layers: 1024,
  /** Hidden, intermediate and embedding widths. */
  width: 1 << 17,
  /** Vocabulary size. */
  vocab: 1 << 22,
  /** Learned or sinusoidal positions. */
  positions: 1 << 16,
  /** Image height or width in pixels. */
  image: 1 << 14,
  /** Input channels. */
  channels: 64,
} as const;

/** A positive integer count up to `max`. */
export const count = (max: number): FieldCheck => ({ min: 1, max });
/** A non-negative integer up to `max`. */
export const countOrZero = (max: number): FieldCheck => ({ min: 0, max });
/** A probability in [0, 1] (dropouts). */
export const PROBABILITY: FieldCheck = { min: 0, max: 1 };
/** A number > 0. */
export const POSITIVE: FieldCheck = { above: 0 };
/** A number >= 0 (epsilons, init std). */
export const NON_NEGATIVE: FieldCheck = { min: 0 };
/** A token id: >= 0 (and below the vocabulary size, checked where the vocabulary is known). */
export const TOKEN_ID: FieldCheck = { min: 0 };

/** Field name (Hugging Face spelling) -> spec. */
export type FieldTable = Readonly<Record<string, FieldSpec>>;

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `the array ${JSON.stringify(v).slice(0, 60)}`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.slice(0, 60))}`;
  if (typeof v === "object") return "an object";
  return `the ${typeof v} ${String(v)}`;
}

/**
 * Whether a value fits a field kind.
 * @param kind the field kind
 * @param v the value from config.json
 * @returns true when it fits
 */
export function fitsKind(kind: FieldKind, v: unknown): boolean {
  const nullable = kind.endsWith("?");
  if (v === null) return nullable;
  const base = nullable ? kind.slice(0, -1) : kind;
  switch (base) {
    case "int":
      return isInt(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "bool":
      return typeof v === "boolean";
    case "string":
      return typeof v === "string";
    case "int[]":
      return Array.isArray(v) && v.every(isInt);
    case "ids":
      return isInt(v) || (Array.isArray(v) && v.every(isInt));
    case "size":
      return isInt(v) || (Array.isArray(v) && v.length === 2 && v.every(isInt));
    default:
      return v !== undefined;
  }
}

function violates(check: FieldCheck, v: unknown): string | null {
  const values = Array.isArray(v) ? v : [v];
  for (const x of values) {
    if (check.oneOf !== undefined) {
      if (typeof x === "string" && !check.oneOf.includes(x)) {
        return `(one of ${check.oneOf.map((o) => JSON.stringify(o)).join(", ")})`;
      }
      continue;
    }
    if (typeof x !== "number") continue;
    if (check.above !== undefined && !(x > check.above)) return `greater than ${check.above}`;
    if (check.min !== undefined && x < check.min) {
      return check.max === undefined ? `at least ${check.min}` : `in [${check.min}, ${check.max}]`;
    }
    if (check.max !== undefined && x > check.max) {
      return check.min === undefined ? `at most ${check.max}` : `in [${check.min}, ${check.max}]`;
    }
  }
  return null;
}

/**
 * Checks one value against a field spec (kind, then constraint).
 * @param spec the field's spec
 * @param v the value
 * @returns what the value must be when it does not fit, else null
 */
export function fieldProblem(spec: FieldSpec, v: unknown): string | null {
  const [kind, , check] = spec;
  if (!fitsKind(kind, v)) {
    return KIND_WORDS[kind.replace("?", "")] + (kind.endsWith("?") ? " or null" : "");
  }
  if (v === null || check === undefined) return null;
  const bad = violates(check, v);
  if (bad === null) return null;
  const each = Array.isArray(v) ? ", each" : "";
  return `${KIND_WORDS[kind.replace("?", "")]}${each} ${bad}${
    kind.endsWith("?") ? " or null" : ""
  }`;
}

const KIND_WORDS: Record<string, string> = {
  "int": "an integer",
  "number": "a finite number",
  "bool": "a boolean",
  "string": "a string",
  "int[]": "an array of integers",
  "ids": "an integer or an array of integers",
  "size": "an integer or a pair of integers",
  "json": "a JSON value",
};

/**
 * Merges a config dict over a table's defaults, checking the type of every field the table knows;
 * fields the table does not know are kept as they are (Python keeps extra kwargs as attributes).
 * @param table the field table (defaults)
 * @param dict the parsed config.json object (may be partial)
 * @param where label for messages, e.g. `config.json of ./model (decoder, gpt2)`
 * @returns a new object: defaults, then the dict's values
 */
export function readFields(
  table: FieldTable,
  dict: Readonly<Record<string, unknown>>,
  where: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, [, value]] of Object.entries(table)) setOwn(out, name, structuredClone(value));
  for (const [name, value] of Object.entries(dict)) {
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    const problem = spec === undefined ? null : fieldProblem(spec, value);
    if (problem !== null) {
      throw new ModelLoadError(
        `Cannot read ${where}: field "${name}" must be ${problem}, found ${describe(value)}`,
      );
    }
    setOwn(out, name, structuredClone(value));
  }
  return out;
}

/**
 * Sets an own, enumerable data property (also for the names `__proto__` and `constructor`, which
 * plain assignment would treat specially).
 * @param o the object
 * @param name the property
 * @param value its value
 */
export function setOwn(o: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Checks that a value is a plain JSON object.
 * @param v the value
 * @param where label for messages
 * @returns the value as a record
 */
export function asRecord(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ModelLoadError(`Cannot read ${where}: expected a JSON object, found ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}
