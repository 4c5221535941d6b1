/**
 * Command-line parsing for the `caption` and `preprocess` tasks (DESIGN.md, "CLI"). Flags map to
 * Hugging Face GenerationConfig fields in snake_case; `--generation-config` takes any of them as
 * JSON (or a path to a JSON file) and explicit flags win over it.
 *
 * Parsing is strict, so that a typo is an error naming the flag rather than a different run:
 * numbers are decimal only (`0x10`, `12abc`, `Infinity` refused; `1e3` only where a fraction is
 * meant), each within its range; unknown flags and missing values are refused; `-h`/`--help`
 * anywhere before `--` asks for the usage.
 * @module
 */
import { DTYPE_SUFFIXES } from "../hub/onnx_file_path.ts";

/** What a flag carries. */
type Kind = "string" | "int" | "float" | "flag" | "choice" | "size";

/** One flag: its kind, the GenerationConfig field it sets (generation flags), its range. */
interface FlagSpec {
  kind: Kind;
  /** GenerationConfig field (snake_case) for generation flags. */
  field?: string;
  /** Smallest value (inclusive unless `above`). */
  min?: number;
  /** The value must be strictly above `min`. */
  above?: boolean;
  /** Largest value (inclusive). */
  max?: number;
  /** Accepted words of a "choice" flag. */
  choices?: readonly string[];
}

const int = (field: string, min: number): FlagSpec => ({ kind: "int", field, min });
const float = (field: string, range: Partial<FlagSpec> = {}): FlagSpec => ({
  kind: "float",
  field,
  ...range,
});

/** Generation flags. */
const GENERATION_FLAGS: Record<string, FlagSpec> = {
  "max-new-tokens": int("max_new_tokens", 1),
  "min-new-tokens": int("min_new_tokens", 0),
  "max-length": int("max_length", 0),
  "min-length": int("min_length", 0),
  "num-beams": int("num_beams", 1),
  "num-return-sequences": int("num_return_sequences", 1),
  "length-penalty": float("length_penalty"),
  "early-stopping": {
    kind: "choice",
    field: "early_stopping",
    choices: ["true", "false", "never"],
  },
  "no-repeat-ngram-size": int("no_repeat_ngram_size", 0),
  "repetition-penalty": float("repetition_penalty", { min: 0, above: true }),
  "do-sample": { kind: "flag", field: "do_sample" },
  "temperature": float("temperature", { min: 0 }),
  "top-k": int("top_k", 0),
  "top-p": float("top_p", { min: 0, above: true, max: 1 }),
  "seed": int("seed", 0),
  "max-memory": { kind: "size", min: 1 },
  "generation-config": { kind: "string" },
  "batch-size": { kind: "int", min: 1 },
};

/** Flags that say which model and how to run it. */
const MODEL_FLAGS: Record<string, FlagSpec> = {
  "model": { kind: "string" },
  "device": { kind: "choice", choices: ["auto", "webgpu", "wasm"] },
  "dtype": { kind: "choice", choices: Object.keys(DTYPE_SUFFIXES) },
  "from": { kind: "choice", choices: ["onnx", "safetensors", "pytorch"] },
  "threads": { kind: "int", min: 1 },
  "revision": { kind: "string" },
  "decoder": { kind: "choice", choices: ["merged", "pair"] },
  "offline": { kind: "flag" },
  "json": { kind: "flag" },
  "quiet": { kind: "flag" },
  "progress": { kind: "flag" },
  "verbose": { kind: "flag" },
};

/** The tasks and the flags each takes. */
export type Task = "caption" | "preprocess";

/** Parsed command line. */
export interface CliArgs {
  /** `-h` or `--help` was given: print the usage and nothing else (parseArgs always sets it). */
  help?: boolean;
  /** Non-generation options by flag name (e.g. "model", "json", "batch-size", "max-memory"). */
  options: Record<string, string | number | boolean>;
  /** Generation options from flags, snake_case GenerationConfig names. */
  generation: Record<string, unknown>;
  /** The `--generation-config` value, unparsed (JSON text or a path). */
  generationConfig?: string;
  /** Images as given (paths, URLs, "-" for stdin). */
  images: string[];
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SIZE = /^(\d+(?:\.\d+)?)(?:([KMGT])(?:i?B)?|B)?$/i;
const UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Reads a number the way the flag means it: decimal digits only, an integer where an integer is
 * meant, finite, within the flag's range. TypeError when the text is not such a number,
 * RangeError when it is out of range.
 */
function parseFlagNumber(flag: string, spec: FlagSpec, raw: string): number {
  let n: number;
  if (spec.kind === "size") {
    const m = SIZE.exec(raw);
    if (!m) {
      throw new TypeError(
        `--${flag} takes a size in bytes such as 4G, 512M or 1000000, got ${JSON.stringify(raw)}`,
      );
    }
    n = Math.floor(Number(m[1]) * (m[2] ? UNITS[m[2].toUpperCase()] : 1));
  } else if (spec.kind === "int") {
    if (!INT.test(raw)) {
      throw new TypeError(`--${flag} takes a decimal integer, got ${JSON.stringify(raw)}`);
    }
    n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new RangeError(`--${flag} is too large: ${raw}`);
  } else {
    if (!FLOAT.test(raw)) {
      throw new TypeError(`--${flag} takes a decimal number, got ${JSON.stringify(raw)}`);
    }
    n = Number(raw);
    if (!Number.isFinite(n)) throw new RangeError(`--${flag} is too large: ${raw}`);
  }
  if (spec.min !== undefined && (spec.above ? n <= spec.min : n < spec.min)) {
    throw new RangeError(`--${flag} must be ${spec.above ? ">" : ">="} ${spec.min}, got ${raw}`);
  }
  if (spec.max !== undefined && n > spec.max) {
    throw new RangeError(`--${flag} must be <= ${spec.max}, got ${raw}`);
  }
  return n;
}

function flagsOf(task: Task): Record<string, FlagSpec> {
  return task === "caption" ? { ...MODEL_FLAGS, ...GENERATION_FLAGS } : {
    model: MODEL_FLAGS.model,
    revision: MODEL_FLAGS.revision,
    offline: MODEL_FLAGS.offline,
    json: MODEL_FLAGS.json,
  };
}

/**
 * Parses the command line.
 * @param argv arguments after the script name
 * @param task which task's flags are accepted (preprocess takes no generation or run flags)
 * @returns the parsed arguments
 * @throws TypeError / RangeError naming the flag: unknown flag, missing or malformed value
 */
export function parseArgs(argv: readonly string[], task: Task = "caption"): CliArgs {
  const out: CliArgs = { help: false, options: {}, generation: {}, images: [] };
  const end = argv.indexOf("--");
  if (argv.slice(0, end < 0 ? undefined : end).some((a) => a === "-h" || a === "--help")) {
    out.help = true;
    return out;
  }
  const flags = flagsOf(task);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.images.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-" || !a.startsWith("-")) {
      out.images.push(a);
      continue;
    }
    if (!a.startsWith("--")) {
      throw new TypeError(`unknown option ${a} (an image whose name starts with - goes after --)`);
    }
    const eq = a.indexOf("=");
    const flag = a.slice(2, eq < 0 ? undefined : eq);
    const spec = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (!spec) throw new TypeError(`unknown option --${flag} (see --help)`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.kind === "flag") raw = "true";
    else {
      const next = argv[i + 1];
      // a missing value, or the next flag where a value belongs (negative numbers are values)
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new TypeError(`--${flag} needs a value`);
      }
      raw = argv[++i];
    }
    const value = readValue(flag, spec, raw);
    if (spec.field) out.generation[spec.field] = value;
    else if (flag === "generation-config") out.generationConfig = String(value);
    else out.options[flag] = value;
  }
  if (out.options.quiet && out.options.progress) {
    throw new TypeError("--quiet and --progress cannot be used together");
  }
  return out;
}

function readValue(flag: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.kind) {
    case "flag":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw new TypeError(`--${flag} takes true or false, got ${JSON.stringify(raw)}`);
    case "choice":
      if (!spec.choices!.includes(raw)) {
        throw new TypeError(
          `--${flag} takes ${spec.choices!.join(", ")}, got ${JSON.stringify(raw)}`,
        );
      }
      if (flag === "early-stopping") return raw === "never" ? "never" : raw === "true";
      return raw;
    case "string":
      if (raw === "") throw new TypeError(`--${flag} needs a value`);
      return raw;
    default:
      return parseFlagNumber(flag, spec, raw);
  }
}
