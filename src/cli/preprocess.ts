/**
 * `deno task preprocess --model <...> --json <image...>`: prints, per image, what the model's image
 * processor makes of it: `{"image", "dims": [1, 3, H, W], "pixel_values": [...]}`, for checking
 * preprocessing against Python. Bad images: one line on stderr, the rest still printed.
 * @module
 */
import { readJson } from "../hub/model_files.ts";
import { resolveModelFiles } from "../hub/resolve_model_files.ts";
import { parseImageProcessorConfig } from "../config/image_processor_config.ts";
import { loadImage } from "../image/load_image.ts";
import { preprocess } from "../image/processor.ts";
import { detectPlatform } from "../platform/detect.ts";
import { parseArgs } from "./args.ts";
import { fail, modelOptions, readImageArg } from "./common.ts";

const USAGE = `Usage: deno task preprocess --model <...> --json <image...>
Prints the pixel values the model's image processor makes of each image.
Options: --model <folder|url|hub-id> (required) --revision REV --offline --json -h, --help`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, "preprocess");
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const options = modelOptions(args);
  if (args.images.length === 0) throw new TypeError(`no image given\n${USAGE}`);
  const platform = await detectPlatform();
  const files = await resolveModelFiles(String(args.options.model), { ...options, platform });
  const config = parseImageProcessorConfig(await readJson(files, "preprocessor_config.json"));
  const readFile = (path: string, limit: { maxBytes: number; limitName: string }) =>
    platform.readFile(path, limit);
  let failures = 0;
  for (const name of args.images) {
    try {
      const pv = preprocess(await loadImage(await readImageArg(name), { readFile }), config);
      const line = { image: name, dims: pv.dims, pixel_values: Array.from(pv.data) };
      console.log(args.options.json ? JSON.stringify(line) : `${name}\t${pv.dims.join("x")}`);
    } catch (e) {
      failures++;
      console.error(`vedge: ${name}: ${(e as Error).message}`);
    }
  }
  return failures ? 1 : 0;
}

if (import.meta.main) {
  main(Deno.args).then((code) => Deno.exit(code), (e) => fail(e));
}
