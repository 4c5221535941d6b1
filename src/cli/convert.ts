/**
 * `deno task convert <checkpoint-folder|url|hub-id> <out-dir> [--onnx merged|pair|both|none]
 * [--from safetensors|pytorch]`: reads a VisionEncoderDecoder model's config.json and PyTorch
 * checkpoint (model.safetensors, sharded safetensors, pytorch_model.bin or its shards), checks
 * the weights against what the model's families expect, and writes a Hub folder with
 * savePretrained: configs, model.safetensors, the tokenizer and processor files copied, and
 * onnx/ in Optimum's layout (what transformers.js, Optimum and vedge's `from: "onnx"` load).
 *
 * The output folder is written whole or not at all (savePretrained writes a temporary sibling
 * folder and renames it into place): a failure leaves no partial folder and an existing one as it
 * was. An existing output folder is replaced as Python's save_pretrained overwrites one: the
 * files the conversion writes are replaced, earlier weights and onnx/ are dropped, and other
 * entries (README.md, .git) are kept.
 *
 * Errors (no checkpoint, unsupported model type, missing or mis-shaped tensors, bad flags) end
 * with one clear line on stderr and a non-zero exit, never a stack trace. Tensors the model does
 * not use are dropped with a warning, as transformers' `from_pretrained` drops unexpected keys.
 * @module
 */
import { loadModelConfig } from "../config/load_model_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { resolveModelFiles } from "../hub/resolve_model_files.ts";
import { visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { savePretrained } from "../export/save_pretrained.ts";
import { specProblems } from "../families/shared/weight_specs.ts";
import { detectPlatform } from "../platform/detect.ts";
import type { WeightMap } from "../weights/weight_map.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import { fail } from "./common.ts";

const USAGE =
  `Usage: deno task convert <checkpoint-folder|url|hub-id> <out-dir> [--onnx merged|pair|both|none]
  [--from safetensors|pytorch] [--revision REV] [--offline] [--help]
Reads config.json and the PyTorch checkpoint, writes a Hub folder with model.safetensors, the
tokenizer and processor files, and onnx/ (Optimum layout; default: the merged decoder).
The output folder appears whole or not at all; an existing one is replaced (its weights and
onnx/ dropped, other files such as README.md kept), as Python's save_pretrained overwrites.
--from: which checkpoint file to read (default: model.safetensors first, as transformers does).`;

/** Decoder files to write under onnx/. */
export type ConvertOnnx = "merged" | "pair" | "both" | "none";

/** Options of {@link convertCheckpoint}. */
export interface ConvertOptions {
  /** onnx/ decoder layout (default "merged"); "none" writes no onnx/ folder. */
  onnx?: ConvertOnnx;
  /** Read only this checkpoint format; absent: safetensors first, then pytorch_model.bin. */
  from?: "safetensors" | "pytorch";
  /** Hub revision for Hub ids. */
  revision?: string;
  /** Use only the download cache. */
  offline?: boolean;
  /** Receives warnings (unused tensors dropped). Default: none. */
  warn?: (line: string) => void;
}

/** What a conversion wrote. */
export interface ConvertResult {
  /** The checkpoint layout read ("safetensors", "pytorch", ...). */
  format: string;
  /** Hub-relative paths written, in write order. */
  written: string[];
  /** Checkpoint tensors the model does not use (not written). */
  dropped: string[];
}

/**
 * Converts a checkpoint folder (or URL, or Hub id) to a Hub folder with ONNX files.
 * @param source where the checkpoint is
 * @param outDir the folder to write (created whole; an existing one replaced, see the module doc)
 * @param options onnx layout, checkpoint format, revision, offline, warnings
 * @returns the format read, the files written and the tensors dropped
 * @throws ModelLoadError when config.json or the checkpoint is missing or does not fit the model
 * @throws UnsupportedModelError when the model is not a vision-encoder-decoder vedge can build
 */
export async function convertCheckpoint(
  source: string,
  outDir: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const onnx = options.onnx ?? "merged";
  if (!["merged", "pair", "both", "none"].includes(onnx)) {
    throw new TypeError(`--onnx takes merged, pair, both or none, got ${JSON.stringify(onnx)}`);
  }
  if (options.from !== undefined && !["safetensors", "pytorch"].includes(options.from)) {
    throw new TypeError(
      `--from takes safetensors or pytorch, got ${JSON.stringify(options.from)}`,
    );
  }
  const platform = await detectPlatform();
  const files = await resolveModelFiles(source, {
    platform,
    revision: options.revision,
    offline: options.offline,
  });
  if (
    files.source.kind === "folder" &&
    platform.resolvePath(files.source.path) === platform.resolvePath(outDir)
  ) {
    throw new TypeError(`the output folder ${outDir} is the source folder; choose another`);
  }
  const config = await loadModelConfig(files);
  if (!(config instanceof VisionEncoderDecoderConfig)) {
    throw new UnsupportedModelError(
      `Cannot convert ${files.id}: config.json has model_type "${config.modelType}", not ` +
        `"vision-encoder-decoder"`,
    );
  }
  // the families must be known before megabytes of weights are read
  const specs = visionEncoderDecoderWeightSpecs(config);
  const checkpoint = await loadCheckpoint(files, { prefer: options.from });
  if (options.from && !checkpoint.format.startsWith(options.from)) {
    throw new ModelLoadError(
      `Cannot convert ${files.id} --from ${options.from}: it has no ` +
        (options.from === "pytorch"
          ? "pytorch_model.bin or pytorch_model.bin.index.json"
          : "model.safetensors or model.safetensors.index.json") +
        ` (found ${checkpoint.paths.join(", ")})`,
    );
  }
  const weights: WeightMap = new Map(checkpoint.tensors);
  const problems = specProblems(specs, weights);
  const dropped = problems
    .filter((p) => p.startsWith("unexpected: "))
    .map((p) => p.slice("unexpected: ".length));
  for (const name of dropped) weights.delete(name);
  const wrong = problems.filter((p) => !p.startsWith("unexpected: "));
  if (wrong.length) {
    // one line: the CLI prints the first line of a message as its error
    throw new ModelLoadError(
      `Cannot convert ${checkpoint.paths.join(", ")} from ${files.id}: ${wrong.length} ` +
        `problem(s) against the model's expected tensors (${wrong.slice(0, 5).join("; ")}` +
        `${wrong.length > 5 ? "; ..." : ""})`,
    );
  }
  if (dropped.length) {
    options.warn?.(
      `${dropped.length} tensor(s) of ${checkpoint.paths.join(", ")} are not used by the model ` +
        `and are not written: ${dropped.slice(0, 5).join(", ")}${
          dropped.length > 5 ? ", ..." : ""
        }`,
    );
  }
  const written = await savePretrained(outDir, { config, weights, files, platform, onnx });
  return { format: checkpoint.format, written, dropped };
}

/** Parsed command line of the task. */
interface ConvertArgs {
  positional: string[];
  options: ConvertOptions;
  help: boolean;
}

function parseConvertArgs(argv: readonly string[]): ConvertArgs {
  const out: ConvertArgs = { positional: [], options: {}, help: false };
  const valued = new Set(["onnx", "from", "revision"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = a.slice(2, eq < 0 ? undefined : eq);
    if (flag === "help") out.help = true;
    else if (flag === "offline") out.options.offline = true;
    else if (valued.has(flag)) {
      let value: string;
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new TypeError(`--${flag} needs a value`);
      if (flag === "onnx") out.options.onnx = value as ConvertOnnx;
      else if (flag === "from") out.options.from = value as ConvertOptions["from"];
      else out.options.revision = value;
    } else throw new TypeError(`unknown option --${flag}\n${USAGE}`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = parseConvertArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.positional.length !== 2) {
    throw new TypeError(
      `convert needs a checkpoint and an output folder, got ${args.positional.length} ` +
        `argument(s)\n${USAGE}`,
    );
  }
  const [source, outDir] = args.positional;
  const t0 = performance.now();
  const r = await convertCheckpoint(source, outDir, {
    ...args.options,
    warn: (line) => console.error(`vedge: warning: ${line}`),
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.error(`vedge: converted ${source} (${r.format}) to ${outDir} in ${seconds} s`);
  for (const path of r.written) console.log(path);
  return 0;
}

if (import.meta.main) {
  main(Deno.args).then((code) => Deno.exit(code), (e) => fail(e));
}
