/**
 * What the CLI tasks share: model options from flags, reading an image argument (path, URL or
 * stdin), `--generation-config` (JSON text or a file), and the one-line error exit.
 * @module
 */
import type { CliArgs } from "./args.ts";
import type { PipelineOptions } from "../pipeline/image_to_text.ts";
import type { DeviceRequest } from "../runtime/backend.ts";
import type { Dtype } from "../hub/onnx_file_path.ts";

/** Usage lines every task shares. */
export const USAGE_COMMON =
  `Model: --model <folder|url|hub-id> --device auto|webgpu|wasm --dtype fp32|fp16|q8|...
  --threads N --revision REV --decoder merged|pair --offline --json --help`;

/**
 * Pipeline options from the parsed flags.
 * @param args parsed command line
 * @returns options for pipeline()
 */
export function modelOptions(args: CliArgs): PipelineOptions {
  const o = args.options;
  if (!o.model) throw new TypeError("--model <folder|url|hub-id> is required");
  const decoder = o.decoder as string | undefined;
  if (decoder !== undefined && decoder !== "merged" && decoder !== "pair") {
    throw new TypeError(`--decoder takes merged or pair, got ${JSON.stringify(decoder)}`);
  }
  return {
    device: (o.device as DeviceRequest | undefined) ?? "auto",
    dtype: o.dtype as Dtype | undefined,
    numThreads: o.threads as number | undefined,
    revision: o.revision as string | undefined,
    offline: o.offline ? true : undefined,
    decoder,
  };
}

/**
 * Bytes or URL of one image argument: "-" reads stdin, URLs stay URLs, paths stay paths.
 * @param name the argument as given
 * @returns what loadImage accepts
 */
export async function readImageArg(name: string): Promise<string | Uint8Array> {
  if (name !== "-") return name;
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

/**
 * `--generation-config`: JSON text (starts with "{") or a path to a JSON file.
 * @param value the flag's value
 * @returns the parsed object (empty when absent)
 */
export async function loadGenerationConfigArg(
  value: string | undefined,
): Promise<Record<string, unknown>> {
  if (value === undefined) return {};
  let text = value.trim();
  if (!text.startsWith("{")) {
    try {
      text = await Deno.readTextFile(value);
    } catch (e) {
      throw new TypeError(`--generation-config: cannot read ${value}: ${(e as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`--generation-config is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError("--generation-config must be a JSON object of GenerationConfig fields");
  }
  return parsed as Record<string, unknown>;
}

/**
 * Prints one clear line for a fatal error and exits non-zero (no stack trace).
 * @param e what was thrown
 * @returns never
 */
export function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`vedge: ${msg.split("\n")[0]}`);
  if (msg.includes("\n")) console.error(msg.split("\n").slice(1).join("\n"));
  Deno.exit(e instanceof TypeError || e instanceof RangeError ? 2 : 1);
}
