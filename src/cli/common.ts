/**
 * What the CLI tasks share: model options from flags, reading an image argument (path, URL or
 * stdin), `--generation-config` (JSON text or a file), and the one-line error exit.
 * @module
 */
import type { CliArgs } from "./args.ts";
import type { PipelineOptions } from "../pipeline/image_to_text.ts";
import type { DeviceRequest } from "../runtime/backend.ts";
import type { Dtype } from "../hub/onnx_file_path.ts";
import type { ModelLoadOptions } from "../model/model_options.ts";

/** Usage lines of the model flags. */
export const USAGE_MODEL = `Model: --model <folder|url|hub-id> (required) --revision REV --offline
  --device auto|webgpu|wasm --threads N
  --from onnx|safetensors|pytorch (default: the ONNX export when there is one, else the checkpoint)
  --dtype fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4 (ONNX variant; an error when the export lacks it)
  --decoder merged|pair (ONNX decoder layout when an export has both)`;

/**
 * Pipeline options from the parsed flags.
 * @param args parsed command line
 * @returns options for pipeline()
 */
export function modelOptions(args: CliArgs): PipelineOptions {
  const o = args.options;
  if (!o.model) throw new TypeError("--model <folder|url|hub-id> is required");
  // values were checked against their choices by parseArgs
  return {
    device: (o.device as DeviceRequest | undefined) ?? "auto",
    dtype: o.dtype as Dtype | undefined,
    from: o.from as ModelLoadOptions["from"],
    numThreads: o.threads as number | undefined,
    revision: o.revision as string | undefined,
    offline: o.offline ? true : undefined,
    decoder: o.decoder as ModelLoadOptions["decoder"],
  };
}

/** Most bytes read from stdin as one image (a bound, so `caption - < /dev/zero` ends). */
export const MAX_STDIN_BYTES = 256 * 1024 * 1024;

/**
 * Bytes or URL of one image argument: "-" reads stdin, URLs stay URLs, paths stay paths.
 * @param name the argument as given
 * @param maxBytes most bytes read from stdin (default {@link MAX_STDIN_BYTES})
 * @returns what loadImage accepts
 */
export async function readImageArg(
  name: string,
  maxBytes: number = MAX_STDIN_BYTES,
): Promise<string | Uint8Array> {
  if (name !== "-") return name;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of Deno.stdin.readable) {
    size += c.length;
    if (size > maxBytes) {
      throw new RangeError(`stdin holds more than ${maxBytes} bytes, too large for an image`);
    }
    chunks.push(c);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.length);
  return out;
}

/** Largest `--generation-config` file read (generation configs are a few hundred bytes). */
export const MAX_GENERATION_CONFIG_BYTES = 1024 * 1024;

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
  if (!text.startsWith("{") && !text.startsWith("[")) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(value);
    } catch (e) {
      throw new TypeError(`--generation-config: cannot read ${value}: ${(e as Error).message}`);
    }
    // a FIFO would hang and /dev/zero would never end: regular files of a config's size only
    if (!info.isFile) {
      throw new TypeError(`--generation-config: ${value} is not a regular file`);
    }
    if (info.size > MAX_GENERATION_CONFIG_BYTES) {
      throw new RangeError(
        `--generation-config: ${value} is ${info.size} bytes, more than a generation config ` +
          `(${MAX_GENERATION_CONFIG_BYTES})`,
      );
    }
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

/**
 * Gives the process a private XDG_RUNTIME_DIR when it has none: without one, Deno's WebGPU
 * (probed by device "auto") writes "error: XDG_RUNTIME_DIR is invalid or not set" to stderr
 * twice, which users take for a failure (RUNTIME-NOTES.md).
 * @returns removes the folder it made (nothing to do when the variable was set)
 */
export function ensureRuntimeDir(): () => void {
  if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return () => {};
  let dir: string;
  try {
    dir = Deno.makeTempDirSync({ prefix: "vedge-runtime-" });
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    return () => {}; // no temp folder or env permission: the warning stays, nothing breaks
  }
  return () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  };
}
