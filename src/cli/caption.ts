/**
 * `deno task caption [options] <image...>`: captions images and prints, with --json, one line
 * per image in input order: `{"image", "sequences": [{"text", "token_ids", "score"}]}`
 * (DESIGN.md, "CLI"). Without --json: `image<TAB>text`, or with several sequences one line each,
 * `image<TAB>1. (score -1.2345) text`.
 *
 * Order of work: options are checked on their own, then against the model's configs (read from
 * its files, cheap), and only then is the model loaded, so a bad option never waits for a model.
 * Images are decoded and captioned batch by batch; a bad image gets one line on stderr and the
 * others are still captioned; the exit code is non-zero when anything failed. Progress, --verbose
 * lines and errors go to stderr; stdout carries only results.
 * @module
 */
import {
  type GenerationConfig,
  resolveGenerationConfig,
  validateGenerationConfig,
  validateGenerationOptions,
} from "../config/generation_config.ts";
import {
  effectiveLimits,
  estimateGenerationMemory,
  formatBytes,
} from "../config/generation_limits.ts";
import type { DecoderShape } from "../config/generation_limits.ts";
import { loadGenerationConfig } from "../config/load_generation_config.ts";
import { loadModelConfig } from "../config/load_model_config.ts";
import { readJson } from "../hub/model_files.ts";
import { resolveModelFiles } from "../hub/resolve_model_files.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import { type CaptionResult, pipeline, type PipelineOptions } from "../pipeline/image_to_text.ts";
import { detectPlatform } from "../platform/detect.ts";
import { type CliArgs, parseArgs } from "./args.ts";
import {
  ensureRuntimeDir,
  fail,
  loadGenerationConfigArg,
  modelOptions,
  readImageArg,
  USAGE_MODEL,
} from "./common.ts";
import { describeModel } from "./model_report.ts";
import { BatchProgress, downloadProgress, progressEnabled, ProgressLine } from "./progress.ts";

const USAGE = `Usage: deno task caption [options] <image...>
Captions images (paths, http(s) URLs, or - for stdin; after -- names may start with -).
${USAGE_MODEL}
Generation: --max-new-tokens N --min-new-tokens N --max-length N --min-length N --num-beams N
  --num-return-sequences N --length-penalty X --early-stopping true|false|never
  --no-repeat-ngram-size N --repetition-penalty X --do-sample --temperature X --top-k N --top-p X
  --seed N --generation-config <json or path> (any GenerationConfig fields, snake_case; flags win)
  --max-memory SIZE (budget of the decoding loop, e.g. 8G; default 4G; other limits via
  --generation-config '{"limits": {"max_num_beams": 128}}')
Run: --batch-size N (images generated together, default 8)
Output: --json (one JSON line per image) --quiet (no progress) --progress (progress even when
  stderr is not a terminal) --verbose (backend and why, model source, dtype, files) -h, --help
Exit status: 0 all captioned, 1 a model or image failed, 2 bad options.`;

/** Writes to stderr synchronously: the event loop is busy while a batch generates. */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The generation options from `--generation-config` and the flags (flags win). */
async function generationOptions(args: CliArgs): Promise<Record<string, unknown>> {
  const fromFile = await loadGenerationConfigArg(args.generationConfig);
  const merged: Record<string, unknown> = { ...fromFile, ...args.generation };
  const maxMemory = args.options["max-memory"];
  const given = fromFile.limits;
  // --max-memory joins the file's limits; limits that are no object are left for validation
  if (maxMemory !== undefined && (given === undefined || isPlainObject(given))) {
    merged.limits = { ...(given ?? {}), max_memory: maxMemory };
  }
  return merged;
}

/**
 * Checks the options against the model's configs before the model loads: its generation
 * defaults merged with the options, and the memory estimate for the decoder's shape.
 */
async function checkAgainstModel(
  source: string,
  options: PipelineOptions,
  generation: Record<string, unknown>,
  images: number,
): Promise<{ config: GenerationConfig; decoder?: DecoderShape }> {
  const files = await resolveModelFiles(source, options);
  const modelConfig = await loadModelConfig(files);
  const base = await loadGenerationConfig(files, await readJson(files, "config.json"));
  const config = resolveGenerationConfig(base, generation);
  const decoder = (modelConfig as { decoder?: DecoderShape }).decoder;
  validateGenerationConfig(config, { images, decoder });
  return { config, decoder };
}

/** Plain-text lines of one image's result. */
function plainLines(name: string, result: CaptionResult): string[] {
  const seqs = result.sequences;
  if (seqs.length === 1) return [`${name}\t${seqs[0].text}`];
  return seqs.map((s, i) =>
    `${name}\t${i + 1}. ${s.score === null ? "" : `(score ${s.score.toFixed(4)}) `}${s.text}`
  );
}

/**
 * Captions a batch; when the batch fails as a whole, each image alone, so that one bad image
 * fails alone and named instead of taking its batch with it.
 */
async function captionBatch(
  batch: { name: string; image: RgbImage }[],
  caption: (images: RgbImage[]) => Promise<CaptionResult[]>,
): Promise<(CaptionResult | Error)[]> {
  if (batch.length === 0) return [];
  try {
    return await caption(batch.map((b) => b.image));
  } catch (e) {
    if (batch.length === 1) return [e instanceof Error ? e : new Error(String(e))];
  }
  const out: (CaptionResult | Error)[] = [];
  for (const b of batch) out.push(...await captionBatch([b], caption));
  return out;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, "caption");
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // 1. the options alone
  const generation = await generationOptions(args);
  validateGenerationOptions(generation);
  const options = modelOptions(args);
  if (args.images.length === 0) throw new TypeError(`no image given\n${USAGE}`);
  const batchSize = Number(args.options["batch-size"] ?? 8);
  const verbose = Boolean(args.options.verbose);
  const line = new ProgressLine(writeStderr, { tty: Deno.stderr.isTerminal() });
  const showProgress = progressEnabled(args.options, Deno.stderr.isTerminal());
  const say = (text: string): void => line.log(`vedge: ${text}`);
  const platform = await detectPlatform();
  const loadOptions: PipelineOptions = {
    ...options,
    platform,
    onProgress: showProgress ? downloadProgress(line) : undefined,
  };
  const source = String(args.options.model);

  // 2. the options against the model's configs (config files only, no graphs yet)
  const images = Math.min(batchSize, args.images.length);
  const checked = await checkAgainstModel(source, loadOptions, generation, images);
  if (verbose) {
    const e = estimateGenerationMemory(checked.config, { images, decoder: checked.decoder });
    const limit = effectiveLimits(checked.config).max_memory;
    say(
      `generation: num_beams ${checked.config.num_beams}, num_return_sequences ` +
        `${checked.config.num_return_sequences}, do_sample ${checked.config.do_sample}, ` +
        `memory estimate ${formatBytes(e.total)} of ${formatBytes(limit)} for ${images} image(s)`,
    );
  }

  // 3. the model
  if (showProgress) line.update("loading the model", true);
  const captioner = await pipeline("image-to-text", source, loadOptions);
  let failures = 0;
  try {
    if (verbose) { for (const l of await describeModel(captioner.model, options)) say(l); }
    const progress = showProgress ? new BatchProgress(line, args.images.length) : null;
    progress?.start();
    for (let i = 0; i < args.images.length; i += batchSize) {
      const names = args.images.slice(i, i + batchSize);
      const batch: { name: string; image: RgbImage }[] = [];
      for (const name of names) {
        try {
          batch.push({ name, image: await captioner.load(await readImageArg(name)) });
        } catch (e) {
          failures++;
          say(`${name}: ${(e as Error).message.split("\n")[0]}`);
        }
      }
      const t0 = performance.now();
      const results = await captionBatch(batch, (images) => captioner.caption(images, generation));
      const ms = performance.now() - t0;
      let tokens = 0;
      let failed = names.length - batch.length;
      line.clear();
      results.forEach((r, j) => {
        if (r instanceof Error) {
          failures++, failed++;
          say(`${batch[j].name}: ${r.message.split("\n")[0]}`);
          return;
        }
        for (const s of r.sequences) tokens += Math.max(0, s.tokenIds.length - 1);
        if (args.options.json) {
          console.log(JSON.stringify({
            image: batch[j].name,
            sequences: r.sequences.map((s) => ({
              text: s.text,
              token_ids: s.tokenIds,
              score: s.score,
            })),
          }));
        } else for (const l of plainLines(batch[j].name, r)) console.log(l);
      });
      progress?.done(names.length, failed, tokens, ms);
    }
  } finally {
    line.end();
    await captioner.dispose();
  }
  return failures ? 1 : 0;
}

if (import.meta.main) {
  const cleanUp = ensureRuntimeDir();
  main(Deno.args).then(
    (code) => (cleanUp(), Deno.exit(code)),
    (e) => (cleanUp(), fail(e)),
  );
}
