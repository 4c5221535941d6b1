/**
 * Generation options of a request: query parameters (`?num_beams=4&max_new_tokens=16`) and the
 * multipart `options` part (a JSON object), with Python's snake_case GenerationConfig names as the
 * CLI's `--generation-config` takes them. They are validated by the library's own
 * `resolveGenerationConfig` over the model's defaults (so unknown or invalid options are refused
 * exactly as the library refuses them), then held to the server's caps. The resolved config is
 * also the batching key: requests whose configs are equal can share a batch.
 * @module
 */
import { type GenerationConfig, resolveGenerationConfig } from "../config/generation_config.ts";
import { HttpError } from "./http_error.ts";
import type { ServerLimits } from "./limits.ts";

/** Options that make sense for a library call but not for an HTTP answer. */
const NOT_OVER_HTTP = new Set(["output_scores", "return_dict_in_generate"]);

/** A request's validated options. */
export interface RequestOptions {
  /** The options as given (snake_case), passed on to the pipeline. */
  given: Record<string, unknown>;
  /** The model's defaults with the given options merged over them. */
  config: GenerationConfig;
  /** Requests with equal keys can run in one batch. */
  batchKey: string;
}

function invalid(message: string): HttpError {
  return new HttpError(400, "INVALID_OPTION", message);
}

/**
 * Query parameters -> options: each value is read as JSON when it parses (`4`, `true`,
 * `[[11]]`), else kept as text (`never`).
 * @param params the URL's search parameters
 * @returns snake_case options
 */
export function optionsFromQuery(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of params) {
    if (key in out) throw invalid(`query parameter "${key}" is given twice`);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain text, e.g. early_stopping=never
    }
    out[key] = value;
  }
  return out;
}

/**
 * The multipart `options` part -> options.
 * @param text the part's text
 * @returns snake_case options
 */
export function optionsFromJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalid(`the options part is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw invalid("the options part must be a JSON object of GenerationConfig fields");
  }
  return parsed as Record<string, unknown>;
}

/**
 * Validates options over the model's defaults and holds them to the caps.
 * @param given snake_case options (query merged with the options part)
 * @param defaults the model's generation config
 * @param limits the server's caps
 * @returns the validated options and their batching key
 */
export function resolveRequestOptions(
  given: Record<string, unknown>,
  defaults: GenerationConfig,
  limits: ServerLimits,
): RequestOptions {
  for (const key of Object.keys(given)) {
    if (!/^[a-z][a-z0-9_]*$/.test(key)) {
      throw invalid(`option "${key}" is not a snake_case GenerationConfig name`);
    }
    if (NOT_OVER_HTTP.has(key)) throw invalid(`option "${key}" is not available over HTTP`);
  }
  let config: GenerationConfig;
  try {
    config = resolveGenerationConfig(defaults, given);
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw invalid(e.message);
    throw e;
  }
  checkCaps(config, limits);
  // Sampling draws from one PRNG stream per call: a batch would change each request's draws,
  // so a sampling request never shares its batch.
  const batchKey = config.do_sample ? `sample:${crypto.randomUUID()}` : JSON.stringify(config);
  return { given, config, batchKey };
}

/**
 * New tokens a config allows (one decoder start token as the prompt, as the server sends).
 * @param c the config
 * @returns max_new_tokens, or what max_length leaves after the start token
 */
export function newTokensAllowed(c: GenerationConfig): number {
  return c.max_new_tokens ?? c.max_length - 1;
}

function checkCaps(c: GenerationConfig, limits: ServerLimits): void {
  const tokens = newTokensAllowed(c);
  if (tokens > limits.maxNewTokensCap) {
    const from = c.max_new_tokens !== null
      ? `max_new_tokens ${c.max_new_tokens}`
      : `max_length ${c.max_length}`;
    throw new HttpError(
      400,
      "MAX_NEW_TOKENS_CAP",
      `${from} allows ${tokens} new tokens, over this server's cap of ${limits.maxNewTokensCap}: send max_new_tokens <= ${limits.maxNewTokensCap}`,
    );
  }
  for (const k of ["num_beams", "num_return_sequences"] as const) {
    if (c[k] > limits.numBeamsCap) {
      throw new HttpError(
        400,
        "NUM_BEAMS_CAP",
        `${k} ${c[k]} is over this server's cap of ${limits.numBeamsCap}`,
      );
    }
  }
}
