/**
 * `deno task caption [options] <image...>`: captions images and prints, with --json, one line
 * per image in input order: `{"image", "sequences": [{"text", "token_ids", "score"}]}`
 * (DESIGN.md, "CLI"). Progress and errors go to stderr; a bad image gets one line there and the
 * others are still captioned; the exit code is non-zero when anything failed.
 * @module
 */
import { pipeline } from "../pipeline/image_to_text.ts";
import type { RgbImage } from "../image/rgb_image.ts";
import { parseArgs } from "./args.ts";
import {
  fail,
  loadGenerationConfigArg,
  modelOptions,
  readImageArg,
  USAGE_COMMON,
} from "./common.ts";

const USAGE = `Usage: deno task caption [options] <image...>
Captions images (paths, http(s) URLs, or - for stdin).
${USAGE_COMMON}
Generation: --max-new-tokens N --min-new-tokens N --max-length N --min-length N --num-beams N
  --num-return-sequences N --length-penalty X --early-stopping true|false|never
  --no-repeat-ngram-size N --repetition-penalty X --do-sample --temperature X --top-k N --top-p X
  --seed N --generation-config <json or path> (any GenerationConfig fields, snake_case; flags win)
  --batch-size N (images generated together, default 8)`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, true);
  if (args.options.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.images.length === 0) throw new TypeError(`no image given\n${USAGE}`);
  const fromFile = await loadGenerationConfigArg(args.generationConfig);
  const generation = { ...fromFile, ...args.generation };
  const batchSize = Number(args.options["batch-size"] ?? 8);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`--batch-size must be a positive integer, got ${batchSize}`);
  }
  const captioner = await pipeline(
    "image-to-text",
    String(args.options.model ?? ""),
    modelOptions(args),
  );
  let failures = 0;
  try {
    // decode all images first (bad ones reported, the rest kept in order), then generate in batches
    const decoded: { name: string; image: RgbImage }[] = [];
    for (const name of args.images) {
      try {
        decoded.push({ name, image: await captioner.load(await readImageArg(name)) });
      } catch (e) {
        failures++;
        console.error(`vedge: ${name}: ${(e as Error).message}`);
      }
    }
    for (let i = 0; i < decoded.length; i += batchSize) {
      const batch = decoded.slice(i, i + batchSize);
      const results = await captioner.caption(batch.map((b) => b.image), generation);
      results.forEach((r, j) => {
        if (args.options.json) {
          console.log(JSON.stringify({
            image: batch[j].name,
            sequences: r.sequences.map((s) => ({
              text: s.text,
              token_ids: s.tokenIds,
              score: s.score,
            })),
          }));
        } else {
          for (const s of r.sequences) console.log(`${batch[j].name}\t${s.text}`);
        }
      });
    }
  } finally {
    await captioner.dispose();
  }
  return failures ? 1 : 0;
}

if (import.meta.main) {
  main(Deno.args).then((code) => Deno.exit(code), (e) => fail(e));
}
