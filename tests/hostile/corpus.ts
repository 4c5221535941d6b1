/**
 * The hostile corpus: images, model folders, generation options and conversions that an attacker
 * or an unlucky user hands vedge's CLI. Every case is generated at test time in a scratch folder
 * (small files, symlinks to the fixtures, FIFOs, device files) and says what a demanding user
 * expects: a clear one-line error ("error"), a normal answer ("ok"), or either ("any": inputs
 * Python accepts that vedge may accept or refuse clearly). Crashes, hangs and runaway
 * allocations are never acceptable.
 * @module
 */
import { modelDir } from "../support/goldens.ts";
import { chunk, concat, ihdr, rgbPng, SIGNATURE } from "./png_bytes.ts";
import { pytorchZipBomb } from "./zip_bomb.ts";
import type { CaseRun } from "./run_case.ts";
import { endlessBody, startScriptedServer } from "../../src/hub/test_server.ts";

/** What a case's setup may add: environment for the CLI and clean-up after it ran. */
export interface CaseContext {
  env: Record<string, string>;
  defer(fn: () => Promise<void>): void;
}

/** One case. */
export interface HostileCase {
  /** Class the summary counts by. */
  cls: "image" | "options" | "model" | "convert" | "hub";
  name: string;
  cli: "caption" | "convert";
  expect: "error" | "ok" | "any";
  /** Builds the case's files under `dir` and returns the CLI arguments. */
  setup(dir: string, ctx: CaseContext): Promise<string[]>;
  /** Extra checks on the result (partial output, lines printed); returns a problem or "". */
  check?(run: CaseRun, dir: string): Promise<string>;
}

const TROCR = modelDir("trocr");
const PROBE = new URL("../fixtures/images/probe.png", import.meta.url).pathname;
const PROBE_JPG = new URL("../fixtures/images/probe.jpg", import.meta.url).pathname;

function caption(image: string, ...flags: string[]): string[] {
  return ["--model", TROCR, "--json", "--max-new-tokens", "4", ...flags, image];
}

async function write(path: string, bytes: Uint8Array | string): Promise<string> {
  if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
  else await Deno.writeFile(path, bytes);
  return path;
}

async function mkfifo(path: string): Promise<string> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!r.success) throw new Error(`mkfifo ${path} failed`);
  return path;
}

function seededBytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A JPEG whose SOF header declares other dimensions. */
async function jpegWithSize(width: number, height: number): Promise<Uint8Array> {
  const b = new Uint8Array(await Deno.readFile(PROBE_JPG));
  for (let i = 2; i < b.length - 9;) {
    const marker = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    if (marker >= 0xc0 && marker <= 0xc2) {
      b[i + 5] = height >> 8, b[i + 6] = height & 0xff;
      b[i + 7] = width >> 8, b[i + 8] = width & 0xff;
      return b;
    }
    i += 2 + len;
  }
  throw new Error("probe.jpg has no SOF marker");
}

/**
 * A copy of the trocr fixture folder whose big files are symlinks, with JSON edits applied.
 * @param dir scratch folder
 * @param edit changes per JSON file name (shallow paths "decoder.vocab_size" allowed)
 * @returns the model folder
 */
async function trocrVariant(
  dir: string,
  edit: Record<string, Record<string, unknown>> = {},
  replace: Record<string, Uint8Array | string | null> = {},
): Promise<string> {
  const out = `${dir}/model`;
  await Deno.mkdir(`${out}/onnx`, { recursive: true });
  for (const sub of ["", "onnx/"]) {
    for await (const e of Deno.readDir(`${TROCR}/${sub}`)) {
      if (!e.isFile) continue;
      const rel = `${sub}${e.name}`;
      if (rel in replace) continue;
      if (rel in edit) {
        const json = JSON.parse(await Deno.readTextFile(`${TROCR}/${rel}`));
        for (const [path, value] of Object.entries(edit[rel])) {
          const keys = path.split(".");
          let at = json;
          for (const k of keys.slice(0, -1)) at = at[k];
          at[keys.at(-1)!] = value;
        }
        await Deno.writeTextFile(`${out}/${rel}`, JSON.stringify(json));
      } else {
        await Deno.symlink(`${TROCR}/${rel}`, `${out}/${rel}`);
      }
    }
  }
  for (const [rel, bytes] of Object.entries(replace)) {
    if (bytes !== null) await write(`${out}/${rel}`, bytes);
  }
  return out;
}

async function symlinkTo(target: string, path: string): Promise<string> {
  await Deno.symlink(target, path);
  return path;
}

const half = async (path: string) => {
  const b = await Deno.readFile(path);
  return b.subarray(0, b.length >> 1);
};

function imageCase(
  name: string,
  expect: HostileCase["expect"],
  make: (dir: string) => Promise<string>,
): HostileCase {
  let image = "";
  return {
    cls: "image",
    name,
    cli: "caption",
    expect,
    setup: async (d) => caption(image = await make(d)),
    // the error line names the image, so a user with many images knows which one failed
    check: (run) =>
      Promise.resolve(
        run.code === 0 || run.stderr.includes(image) ? "" : `the error does not name ${image}`,
      ),
  };
}

function optionCase(name: string, expect: HostileCase["expect"], ...flags: string[]): HostileCase {
  return {
    cls: "options",
    name,
    cli: "caption",
    expect,
    setup: () => Promise.resolve(caption(PROBE, ...flags)),
  };
}

function modelCase(
  name: string,
  expect: HostileCase["expect"],
  make: (dir: string) => Promise<string>,
): HostileCase {
  return {
    cls: "model",
    name,
    cli: "caption",
    expect,
    setup: async (d) => ["--model", await make(d), "--json", "--max-new-tokens", "4", PROBE],
  };
}

function convertCase(
  name: string,
  edit: Record<string, Record<string, unknown>>,
  replace: Record<string, Uint8Array | string | null> = {},
): HostileCase {
  return {
    cls: "convert",
    name,
    cli: "convert",
    expect: "error",
    setup: async (d) => [await trocrVariant(d, edit, replace), `${d}/out`, "--onnx", "merged"],
    check: async (_run, d) => {
      const left = [];
      for await (const e of Deno.readDir(d)) if (e.name !== "model") left.push(e.name);
      return left.length ? `a failed convert left ${left.join(", ")} behind` : "";
    },
  };
}

const pngDims = (w: number, h: number, data = new Uint8Array([120, 156, 3, 0, 0, 0, 0, 1])) =>
  concat(
    SIGNATURE,
    chunk("IHDR", ihdr(w, h)),
    chunk("IDAT", data),
    chunk("IEND", new Uint8Array()),
  );

/**
 * A Hub on 127.0.0.1 that serves the trocr fixture as `org/m` except for one file, answered by
 * `bad`; the CLI gets one-second timeouts. After the run the cache must hold neither that file
 * nor any temporary file.
 */
function hubCase(
  name: string,
  file: string,
  bad: (req: Request, closing: Promise<void>) => Response | Promise<Response>,
): HostileCase {
  return {
    cls: "hub",
    name,
    cli: "caption",
    expect: "error",
    setup: (dir, ctx) => {
      const server = startScriptedServer(async (req, path, closing) => {
        const m = path.match(/^\/org\/m\/resolve\/[^/]+\/(.+)$/);
        if (!m) return new Response("not found", { status: 404 });
        if (m[1] === file) return bad(req, closing);
        try {
          return new Response(await Deno.readFile(`${TROCR}/${m[1]}`));
        } catch {
          return new Response("Entry not found", { status: 404 });
        }
      });
      ctx.defer(() => server.close());
      Object.assign(ctx.env, {
        HF_ENDPOINT: server.origin,
        VEDGE_OFFLINE: "",
        HF_HUB_DOWNLOAD_TIMEOUT: "1",
        VEDGE_CACHE: `${dir}/cache`,
      });
      return Promise.resolve(["--model", "org/m", "--json", "--max-new-tokens", "4", PROBE]);
    },
    check: async (_run, dir) => {
      const left = (await filesUnder(`${dir}/cache`)).filter((f) =>
        f.endsWith(`/${file}`) || /tmp|part|incomplete|lock/i.test(f.split("/").at(-1)!)
      );
      return left.length ? `the cache kept ${left.join(", ")}` : "";
    },
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) out.push(...await filesUnder(`${dir}/${e.name}`));
      else out.push(`${dir}/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

/** Every case, in class order. */
export const CASES: HostileCase[] = [
  // images
  imageCase("image path is a FIFO", "error", (d) => mkfifo(`${d}/x.png`)),
  imageCase(
    "image is a symlink to /dev/zero",
    "error",
    (d) => symlinkTo("/dev/zero", `${d}/z.png`),
  ),
  imageCase(
    "image is a symlink to /dev/urandom",
    "error",
    (d) => symlinkTo("/dev/urandom", `${d}/u.png`),
  ),
  imageCase("image path is a directory", "error", (d) => Promise.resolve(d)),
  imageCase("image file is empty", "error", (d) => write(`${d}/e.png`, new Uint8Array())),
  imageCase("image is random bytes", "error", (d) => write(`${d}/r.png`, seededBytes(4096, 7))),
  imageCase("PNG cut in half", "error", async (d) => write(`${d}/h.png`, await half(PROBE))),
  imageCase(
    "PNG with a bad CRC",
    "error",
    (d) =>
      write(
        `${d}/c.png`,
        concat(SIGNATURE, chunk("IHDR", ihdr(4, 4), true), chunk("IEND", new Uint8Array())),
      ),
  ),
  imageCase(
    "PNG declaring 100000x100000",
    "error",
    (d) => write(`${d}/b.png`, pngDims(100000, 100000)),
  ),
  imageCase("PNG declaring 0x0", "error", (d) => write(`${d}/0.png`, pngDims(0, 0))),
  imageCase("PNG declaring 2^31 wide", "error", (d) => write(`${d}/w.png`, pngDims(2 ** 31, 1))),
  // v4.27 reads an array 1 or 3 rows tall as channels-first: 1 row raises in normalize, 3 rows
  // give a meaningless result; vedge refuses both by name, and 1 column is an ordinary image.
  imageCase("PNG 1x1", "error", (d) => write(`${d}/1.png`, rgbPng(1, 1))),
  imageCase("PNG one pixel tall", "error", (d) => write(`${d}/t1.png`, rgbPng(61, 1))),
  imageCase("PNG three pixels tall", "any", (d) => write(`${d}/t3.png`, rgbPng(61, 3))),
  imageCase("PNG one pixel wide", "ok", (d) => write(`${d}/w1.png`, rgbPng(1, 61))),
  imageCase("JPEG cut in half", "error", async (d) => write(`${d}/h.jpg`, await half(PROBE_JPG))),
  imageCase(
    "JPEG declaring 60000x60000",
    "error",
    async (d) => write(`${d}/b.jpg`, await jpegWithSize(60000, 60000)),
  ),
  imageCase("GIF", "error", (d) => write(`${d}/g.gif`, "GIF89a\x01\x00\x01\x00\x00\x00\x00;")),
  imageCase(
    "file:// URL with a remote host",
    "error",
    () => Promise.resolve("file://example.com/x.png"),
  ),
  imageCase("path that does not exist", "error", (d) => Promise.resolve(`${d}/missing.png`)),
  imageCase(
    "http URL with nothing listening",
    "error",
    () => Promise.resolve("http://127.0.0.1:9/x.png"),
  ),
  {
    cls: "image",
    name: "a bad image between two good ones",
    cli: "caption",
    expect: "error",
    setup: async (
      d,
    ) => [...caption(PROBE), await write(`${d}/bad.png`, seededBytes(100, 3)), PROBE],
    check: (run) => {
      const lines = run.stdout.split("\n").filter((l) => l.trim());
      return Promise.resolve(
        lines.length === 2 ? "" : `expected the 2 good images captioned, got ${lines.length}`,
      );
    },
  },
  // generation options
  optionCase("--num-beams 100000", "error", "--num-beams", "100000"),
  optionCase(
    "--num-return-sequences 100000 with sampling",
    "error",
    "--do-sample",
    "--num-return-sequences",
    "100000",
  ),
  optionCase("--num-beams 0", "error", "--num-beams", "0"),
  optionCase("--num-beams 2.5", "error", "--num-beams", "2.5"),
  optionCase("--max-new-tokens 0x10", "error", "--max-new-tokens", "0x10"),
  optionCase("--max-new-tokens -1", "error", "--max-new-tokens", "-1"),
  optionCase("--max-new-tokens 1e12", "error", "--max-new-tokens", "1e12"),
  optionCase("--temperature nan", "error", "--do-sample", "--temperature", "nan"),
  optionCase("--top-p 2", "error", "--do-sample", "--top-p", "2"),
  optionCase(
    "--num-return-sequences above --num-beams",
    "error",
    "--num-beams",
    "2",
    "--num-return-sequences",
    "3",
  ),
  optionCase("--early-stopping maybe", "error", "--early-stopping", "maybe"),
  optionCase(
    "--generation-config num_beams 1e6",
    "error",
    "--generation-config",
    '{"num_beams": 1000000}',
  ),
  optionCase(
    "--generation-config bad_words_ids a string",
    "error",
    "--generation-config",
    '{"bad_words_ids": "x"}',
  ),
  optionCase("--generation-config /dev/zero", "error", "--generation-config", "/dev/zero"),
  optionCase("an unknown flag", "error", "--beams", "4"),
  {
    cls: "options",
    name: "-h",
    cli: "caption",
    expect: "ok",
    setup: () => Promise.resolve(["-h"]),
    check: (run) => Promise.resolve(/Usage/.test(run.stdout) ? "" : "no usage on stdout"),
  },
  // model folders
  modelCase("model folder does not exist", "error", (d) => Promise.resolve(`${d}/nothing`)),
  modelCase("config.json is a symlink to /dev/zero", "error", async (d) => {
    const m = await trocrVariant(d, {}, { "config.json": null });
    await Deno.symlink("/dev/zero", `${m}/config.json`);
    return m;
  }),
  modelCase("config.json is a FIFO", "error", async (d) => {
    const m = await trocrVariant(d, {}, { "config.json": null });
    await mkfifo(`${m}/config.json`);
    return m;
  }),
  modelCase(
    "config.json is not JSON",
    "error",
    (d) => trocrVariant(d, {}, { "config.json": "{model_type: 1" }),
  ),
  modelCase(
    "config.json has a key named constructor",
    "any",
    (d) =>
      trocrVariant(d, {
        "config.json": { constructor: "x", "decoder.toString": 1, "encoder.hasOwnProperty": 2 },
      }),
  ),
  modelCase(
    "decoder vocab_size -5",
    "error",
    (d) => trocrVariant(d, { "config.json": { "decoder.vocab_size": -5 } }),
  ),
  modelCase(
    "encoder image_size 0",
    "error",
    (d) => trocrVariant(d, { "config.json": { "encoder.image_size": 0 } }),
  ),
  modelCase("decoder_start_token_id -1", "error", (d) =>
    trocrVariant(d, {
      "config.json": { decoder_start_token_id: -1 },
      "generation_config.json": { decoder_start_token_id: -1 },
    })),
  modelCase("decoder_start_token_id past the vocabulary", "error", (d) =>
    trocrVariant(d, {
      "config.json": { decoder_start_token_id: 99999 },
      "generation_config.json": { decoder_start_token_id: 99999 },
    })),
  modelCase(
    "decoder_layers 100000",
    "error",
    (d) => trocrVariant(d, { "config.json": { "decoder.decoder_layers": 100000 } }),
  ),
  modelCase(
    "encoder ONNX is random bytes",
    "error",
    (d) => trocrVariant(d, {}, { "onnx/encoder_model.onnx": seededBytes(5000, 11) }),
  ),
  modelCase(
    "encoder ONNX is empty",
    "error",
    (d) => trocrVariant(d, {}, { "onnx/encoder_model.onnx": new Uint8Array() }),
  ),
  modelCase(
    "merged decoder ONNX cut in half",
    "error",
    async (d) =>
      trocrVariant(d, {}, {
        "onnx/decoder_model_merged.onnx": await half(`${TROCR}/onnx/decoder_model_merged.onnx`),
      }),
  ),
  modelCase(
    "tokenizer.json is random bytes",
    "error",
    (d) => trocrVariant(d, {}, { "tokenizer.json": seededBytes(3000, 5) }),
  ),
  modelCase(
    "preprocessor size 0",
    "error",
    (d) => trocrVariant(d, { "preprocessor_config.json": { size: { height: 0, width: 0 } } }),
  ),
  modelCase("checkpoint only, safetensors header claims 2^40 bytes", "error", async (d) => {
    const header = new Uint8Array(16);
    new DataView(header.buffer).setBigUint64(0, 2n ** 40n, true);
    const m = await trocrVariant(d, {}, { "model.safetensors": header, "pytorch_model.bin": null });
    await Deno.remove(`${m}/onnx`, { recursive: true });
    return m;
  }),
  modelCase("checkpoint only, pytorch_model.bin zip bomb", "error", async (d) => {
    const bomb = await pytorchZipBomb(await Deno.readFile(`${TROCR}/pytorch_model.bin`));
    const m = await trocrVariant(d, {}, { "pytorch_model.bin": bomb, "model.safetensors": null });
    await Deno.remove(`${m}/onnx`, { recursive: true });
    return m;
  }),
  // convert
  convertCase("convert with encoder num_hidden_layers -1", {
    "config.json": { "encoder.num_hidden_layers": -1 },
  }),
  convertCase("convert with decoder_layers 0", { "config.json": { "decoder.decoder_layers": 0 } }),
  convertCase("convert with decoder_layers 100000", {
    "config.json": { "decoder.decoder_layers": 100000 },
  }),
  {
    cls: "convert",
    name: "convert into a folder whose onnx/ is a file",
    cli: "convert",
    expect: "any",
    setup: async (d) => {
      await Deno.mkdir(`${d}/out`);
      await Deno.writeTextFile(`${d}/out/onnx`, "not a folder");
      return [TROCR, `${d}/out`];
    },
    check: async (run, d) => {
      const names = [];
      for await (const e of Deno.readDir(`${d}/out`)) names.push(e.name);
      if (run.code !== 0) {
        return names.join() === "onnx"
          ? ""
          : `a failed convert changed the folder: ${names.join(", ")}`;
      }
      const onnx = await Deno.stat(`${d}/out/onnx`);
      return onnx.isDirectory && names.includes("config.json")
        ? ""
        : "a partial folder was written";
    },
  },
  // a misbehaving Hub
  hubCase(
    "Hub never sends headers",
    "config.json",
    (_r, closing) => closing.then(() => new Response("late")),
  ),
  hubCase("Hub body stalls half way", "onnx/encoder_model.onnx", (_r, closing) =>
    new Response(
      new ReadableStream({
        start: (c) => c.enqueue(new Uint8Array(1000)),
        pull: () => closing,
      }),
      { headers: { "content-length": "2000000" } },
    )),
  hubCase(
    "Hub sends an endless config.json",
    "config.json",
    () => new Response(endlessBody().body),
  ),
  hubCase(
    "Hub redirects config.json to itself",
    "config.json",
    (req) => new Response(null, { status: 302, headers: { location: new URL(req.url).pathname } }),
  ),
  hubCase(
    "Hub answers an HTML page with status 200",
    "config.json",
    () =>
      new Response("<!DOCTYPE html><html><body>Sign in</body></html>", {
        headers: { "content-type": "text/html" },
      }),
  ),
  hubCase("Hub answers an empty body with status 200", "tokenizer.json", () => new Response("")),
  hubCase(
    "Hub answers garbage for the encoder ONNX",
    "onnx/encoder_model.onnx",
    () => new Response(seededBytes(20000, 13)),
  ),
  hubCase(
    "Hub answers 500 for tokenizer.json",
    "tokenizer.json",
    () => new Response("oops", { status: 500 }),
  ),
];
