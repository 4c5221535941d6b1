/**
 * Typed field tables for model configs: each family lists its Hugging Face field names with a kind
 * and the Python default, and `readFields` merges a config.json dict over those defaults while
 * checking every known field's type (a string where a number belongs is refused, naming the field).
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

/** One field: its kind and the Python class's default value. */
export type FieldSpec = readonly [kind: FieldKind, pythonDefault: unknown];

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
  for (const [name, [, value]] of Object.entries(table)) out[name] = structuredClone(value);
  for (const [name, value] of Object.entries(dict)) {
    const spec = table[name];
    if (spec !== undefined && !fitsKind(spec[0], value)) {
      const kind = spec[0];
      const want = KIND_WORDS[kind.replace("?", "")] + (kind.endsWith("?") ? " or null" : "");
      throw new ModelLoadError(
        `Cannot read ${where}: field "${name}" must be ${want}, found ${describe(value)}`,
      );
    }
    out[name] = structuredClone(value);
  }
  return out;
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
