/**
 * Command-line parsing for the `caption` and `preprocess` tasks (DESIGN.md, "CLI"). Flags map to
 * Hugging Face GenerationConfig fields in snake_case; `--generation-config` takes any of them as
 * JSON (or a path to a JSON file) and explicit flags win over it.
 * @module
 */

/** What a flag carries. */
type Kind = "string" | "int" | "float" | "bool" | "flag";

/** Generation flags: flag name -> [GenerationConfig field, kind]. */
const GENERATION_FLAGS: Record<string, [string, Kind]> = {
  "max-new-tokens": ["max_new_tokens", "int"],
  "min-new-tokens": ["min_new_tokens", "int"],
  "max-length": ["max_length", "int"],
  "min-length": ["min_length", "int"],
  "num-beams": ["num_beams", "int"],
  "num-return-sequences": ["num_return_sequences", "int"],
  "length-penalty": ["length_penalty", "float"],
  "early-stopping": ["early_stopping", "string"],
  "no-repeat-ngram-size": ["no_repeat_ngram_size", "int"],
  "repetition-penalty": ["repetition_penalty", "float"],
  "do-sample": ["do_sample", "flag"],
  "temperature": ["temperature", "float"],
  "top-k": ["top_k", "int"],
  "top-p": ["top_p", "float"],
  "seed": ["seed", "int"],
};

/** Other flags of the tasks. */
const OTHER_FLAGS: Record<string, Kind> = {
  "model": "string",
  "device": "string",
  "dtype": "string",
  "threads": "int",
  "revision": "string",
  "decoder": "string",
  "generation-config": "string",
  "batch-size": "int",
  "json": "flag",
  "offline": "flag",
  "help": "flag",
};

/** Parsed command line. */
export interface CliArgs {
  /** Non-generation options by flag name (e.g. "model", "json"). */
  options: Record<string, string | number | boolean>;
  /** Generation options from flags, snake_case GenerationConfig names. */
  generation: Record<string, unknown>;
  /** The `--generation-config` value, unparsed (JSON text or a path). */
  generationConfig?: string;
  /** Images as given (paths, URLs, "-" for stdin). */
  images: string[];
}

function convert(flag: string, kind: Kind, raw: string): string | number | boolean {
  if (kind === "string") return raw;
  if (kind === "bool" || kind === "flag") {
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw new TypeError(`--${flag} takes true or false, got ${JSON.stringify(raw)}`);
  }
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) {
    throw new TypeError(`--${flag} takes a number, got ${JSON.stringify(raw)}`);
  }
  if (kind === "int" && !Number.isInteger(n)) {
    throw new TypeError(`--${flag} takes an integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Parses the command line.
 * @param argv arguments after the script name
 * @param allowGeneration whether generation flags are accepted (caption: yes; preprocess: no)
 * @returns the parsed arguments
 */
export function parseArgs(argv: readonly string[], allowGeneration = true): CliArgs {
  const out: CliArgs = { options: {}, generation: {}, images: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.images.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--") || a === "-") {
      out.images.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = a.slice(2, eq < 0 ? undefined : eq);
    const gen = allowGeneration ? GENERATION_FLAGS[flag] : undefined;
    const kind = gen?.[1] ?? OTHER_FLAGS[flag];
    if (!kind) throw new TypeError(`unknown option --${flag}`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (kind === "flag") raw = "true";
    else {
      if (i + 1 >= argv.length) throw new TypeError(`--${flag} needs a value`);
      raw = argv[++i];
    }
    if (flag === "early-stopping") {
      if (!["true", "false", "never"].includes(raw)) {
        throw new TypeError(
          `--early-stopping takes true, false or never, got ${JSON.stringify(raw)}`,
        );
      }
      out.generation.early_stopping = raw === "never" ? "never" : raw === "true";
      continue;
    }
    const value = convert(flag, kind, raw);
    if (gen) out.generation[gen[0]] = value;
    else if (flag === "generation-config") out.generationConfig = String(value);
    else out.options[flag] = value;
  }
  return out;
}
