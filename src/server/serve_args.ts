/**
 * Command line of `deno task serve`: the server's flags (listening address, limits, batching)
 * and the model flags the CLI tasks share (--model, --device, --dtype, --threads, ...), which are
 * turned into pipeline options by the CLI's own `modelOptions`.
 * @module
 */
import type { CliArgs } from "../cli/args.ts";
import { modelOptions } from "../cli/common.ts";
import type { PipelineOptions } from "../pipeline/image_to_text.ts";
import { DEFAULT_LIMITS, type ServerLimits } from "./limits.ts";

/** Usage text. */
export const SERVE_USAGE = `Usage: deno task serve --model <folder|url|hub-id> [options]
Serves POST /v1/caption, GET /healthz and GET /v1/model.
Listening: --port N (default 8080; 0 picks a free port) --host H (default 127.0.0.1)
Limits: --max-body BYTES (default ${DEFAULT_LIMITS.maxBody}) --max-pixels N (default ${DEFAULT_LIMITS.maxPixels})
  --max-new-tokens-cap N (default ${DEFAULT_LIMITS.maxNewTokensCap}) --num-beams-cap N (default ${DEFAULT_LIMITS.numBeamsCap})
  --queue N images waiting (default ${DEFAULT_LIMITS.queue}) --timeout-ms N per request (default ${DEFAULT_LIMITS.timeoutMs})
Batching: --max-batch N (default ${DEFAULT_LIMITS.maxBatch}) --batch-window-ms N (default ${DEFAULT_LIMITS.batchWindowMs})
  --concurrency N batches at once (default ${DEFAULT_LIMITS.concurrency})
Model: --device auto|webgpu|wasm --dtype fp32|fp16|q8|... --threads N --revision REV
  --decoder merged|pair --offline --help`;

/** Server flag -> limit field. */
const LIMIT_FLAGS: Record<string, keyof ServerLimits> = {
  "max-body": "maxBody",
  "max-pixels": "maxPixels",
  "max-new-tokens-cap": "maxNewTokensCap",
  "num-beams-cap": "numBeamsCap",
  "queue": "queue",
  "timeout-ms": "timeoutMs",
  "max-batch": "maxBatch",
  "batch-window-ms": "batchWindowMs",
  "concurrency": "concurrency",
};

const INT_FLAGS = new Set([...Object.keys(LIMIT_FLAGS), "port", "threads"]);
const STRING_FLAGS = new Set(["model", "host", "device", "dtype", "revision", "decoder"]);
const BOOL_FLAGS = new Set(["offline", "help"]);

/** Parsed `serve` command line. */
export interface ServeArgs {
  /** The --model value as given. */
  model: string;
  host: string;
  port: number;
  limits: Partial<ServerLimits>;
  pipeline: PipelineOptions;
  help: boolean;
}

/**
 * Parses the `serve` command line.
 * @param argv arguments after the script name
 * @returns the parsed arguments (TypeError / RangeError naming the flag on bad input)
 */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const options: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new TypeError(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf("=");
    const flag = a.slice(2, eq < 0 ? undefined : eq);
    if (!INT_FLAGS.has(flag) && !STRING_FLAGS.has(flag) && !BOOL_FLAGS.has(flag)) {
      throw new TypeError(`unknown option --${flag}\n${SERVE_USAGE}`);
    }
    if (BOOL_FLAGS.has(flag)) {
      options[flag] = eq < 0 || a.slice(eq + 1) === "true";
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new TypeError(`--${flag} needs a value`);
      raw = argv[++i];
    }
    if (INT_FLAGS.has(flag)) {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`--${flag} takes a non-negative integer, got ${JSON.stringify(raw)}`);
      }
      const min = flag in LIMIT_FLAGS && flag !== "batch-window-ms" ? 1 : 0;
      if (n < min) throw new RangeError(`--${flag} must be at least ${min}, got ${n}`);
      options[flag] = n;
    } else options[flag] = raw;
  }
  const help = options.help === true;
  const limits: Partial<ServerLimits> = {};
  for (const [flag, field] of Object.entries(LIMIT_FLAGS)) {
    if (flag in options) limits[field] = options[flag] as number;
  }
  const port = (options.port as number | undefined) ?? 8080;
  if (port > 65535) throw new RangeError(`--port must be at most 65535, got ${port}`);
  const cliArgs: CliArgs = { options, generation: {}, images: [] };
  return {
    model: String(options.model ?? ""),
    host: (options.host as string | undefined) ?? "127.0.0.1",
    port,
    limits,
    pipeline: help ? {} : modelOptions(cliArgs),
    help,
  };
}
