/**
 * The caption CLI as a user meets it (issue 10, scope 6): -h, option errors before any model
 * loads, numbered sequences with scores in plain output, progress on stderr only (per batch and
 * per download), --verbose naming the backend and why, the source, the dtype and the files, a
 * dtype the export lacks, and one bad image failing alone. stdout carries results only.
 */
import assert from "node:assert/strict";
import { crc32 } from "../../src/crc32.ts";
import { golden, imagePath, modelDir } from "../support/goldens.ts";
import { startFixtureServer } from "../../src/hub/test_server.ts";

const CLI = new URL("../../src/cli/caption.ts", import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stderr's lines. */
  errLines: string[];
}

async function caption(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    // no XDG_RUNTIME_DIR: the CLI gives itself one, so WebGPU's probe adds no noise to stderr
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1", XDG_RUNTIME_DIR: "", ...env },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace on stderr:\n${stderr}`);
  const errLines = stderr.split("\n").filter((l) => l);
  return { code: out.code, stdout, stderr, errLines };
}

Deno.test("-h and --help print the usage on stdout and exit 0; -h is never an image", async () => {
  for (const flag of ["-h", "--help"]) {
    const r = await caption([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: deno task caption \[options\] <image\.\.\.>/);
    assert.match(r.stdout, /--num-beams N/);
    assert.match(r.stdout, /--max-memory SIZE/);
    assert.deepEqual(r.errLines, []);
  }
  // beside a model and an image: still the usage, nothing captioned
  const r = await caption(["--model", modelDir("vit-gpt2"), imagePath("probe.png"), "-h"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage:/);
});

Deno.test("option errors come before the model loads: one line, exit 2, nothing on stdout", async () => {
  const missing = "/nonexistent/model/folder";
  const cases: [string[], RegExp][] = [
    [["--num-beams", "0"], /^vedge: --num-beams must be >= 1, got 0$/],
    [["--max-new-tokens", "0x10"], /^vedge: --max-new-tokens takes a decimal integer, got "0x10"$/],
    [["--num-beams", "1e3"], /^vedge: --num-beams takes a decimal integer, got "1e3"$/],
    [["--top-k", "12abc"], /^vedge: --top-k takes a decimal integer, got "12abc"$/],
    [["--bogus"], /^vedge: unknown option --bogus/],
    [["--num-beams", "100000"], /^vedge: num_beams 100000 is over vedge's limit of 64/],
    [
      ["--do-sample", "--num-return-sequences", "100000"],
      /^vedge: num_return_sequences 100000 is over vedge's limit of 10000/,
    ],
    [["--max-new-tokens", "1000000"], /^vedge: max_new_tokens 1000000 is over .* limit of 4096/],
    [["--generation-config", '{"num_beams": 0}'], /num_beams must be >= 1, got 0/],
    [["--generation-config", '{"numBeems": 2}'], /Unknown generation option "numBeems"/],
    [["--device", "cuda"], /^vedge: --device takes auto, webgpu, wasm, got "cuda"$/],
  ];
  for (const [flags, re] of cases) {
    const r = await caption(["--model", missing, ...flags, imagePath("probe.png")]);
    assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "", flags.join(" "));
    assert.equal(r.errLines.length, 1, r.stderr);
    assert.match(r.errLines[0], re, flags.join(" "));
  }
});

/** A copy of the trocr fixture whose encoder graph is truncated: loading the graphs would fail. */
async function modelThatCannotLoad(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const src = modelDir("trocr");
  for (const e of Deno.readDirSync(src)) {
    if (e.isFile) await Deno.copyFile(`${src}/${e.name}`, `${dir}/${e.name}`);
  }
  await Deno.mkdir(`${dir}/onnx`);
  const enc = await Deno.readFile(`${src}/onnx/encoder_model.onnx`);
  await Deno.writeFile(`${dir}/onnx/encoder_model.onnx`, enc.slice(0, 5000));
  await Deno.copyFile(
    `${src}/onnx/decoder_model_merged.onnx`,
    `${dir}/onnx/decoder_model_merged.onnx`,
  );
  return dir;
}

Deno.test("options are checked against the model's configs before its graphs load", async () => {
  const dir = await modelThatCannotLoad();
  // greedy by the model's generation config: 3 return sequences need beams or sampling
  const nrs = await caption([
    "--model",
    dir,
    "--num-return-sequences",
    "3",
    imagePath("probe.png"),
  ]);
  assert.equal(nrs.code, 2, nrs.stderr);
  assert.match(nrs.errLines[0], /num_return_sequences must be 1 in greedy search, got 3/);
  // the memory estimate needs the decoder's vocabulary and width from config.json
  const mem = await caption(["--model", dir, "--max-memory", "1K", imagePath("probe.png")]);
  assert.equal(mem.code, 2, mem.stderr);
  assert.match(mem.errLines[0], /Generation would need about .* over the limit of 1\.0 KiB/);
  // the same options within bounds reach the graphs, which then fail to load
  const load = await caption(["--model", dir, "--max-memory", "1G", imagePath("probe.png")]);
  assert.equal(load.code, 1, load.stderr);
  assert.match(load.errLines[0], /encoder_model\.onnx/);
});

Deno.test("--dtype the export lacks is one line listing the variants it has", async () => {
  const r = await caption([
    "--model",
    modelDir("vit-gpt2"),
    "--dtype",
    "q8",
    imagePath("probe.png"),
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(
    r.errLines[0],
    /^vedge: Cannot load .*vit-gpt2 with dtype q8: onnx\/encoder_model_quantized\.onnx does not exist; the export has the variants fp32$/,
  );
});

Deno.test("plain output: one sequence is the text; several are numbered with their scores", async () => {
  const g = await golden("trocr");
  const greedy = g.generate.find((c) => c.name === "greedy")!;
  const one = await caption([
    "--model",
    modelDir("trocr"),
    "--max-new-tokens",
    "16",
    imagePath("probe.png"),
  ]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, `${imagePath("probe.png")}\t${greedy.text[0]}\n`);

  const beams = g.generate.find((c) => c.name === "beam4_nrs3_lp0.6")!;
  const r = await caption([
    "--model",
    modelDir("trocr"),
    "--num-beams",
    "4",
    "--num-return-sequences",
    "3",
    "--length-penalty",
    "0.6",
    "--max-new-tokens",
    "16",
    imagePath("probe.png"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l);
  assert.equal(lines.length, 3);
  lines.forEach((l, i) => {
    const m = l.match(/^(.*)\t(\d+)\. \(score (-?\d+\.\d{4})\) (.*)$/s);
    assert.ok(m, l);
    assert.equal(m[1], imagePath("probe.png"));
    assert.equal(Number(m[2]), i + 1);
    assert.ok(Math.abs(Number(m[3]) - beams.sequences_scores![i]) < 1e-4, l);
    assert.equal(m[4], beams.text[i]);
  });

  // sampling has no scores: numbered only
  const s = await caption([
    "--model",
    modelDir("trocr"),
    "--do-sample",
    "--num-return-sequences",
    "2",
    "--max-new-tokens",
    "4",
    imagePath("probe.png"),
  ]);
  assert.equal(s.code, 0, s.stderr);
  const sl = s.stdout.split("\n").filter((l) => l);
  assert.equal(sl.length, 2);
  sl.forEach((l, i) => assert.match(l, new RegExp(`\\t${i + 1}\\. (?!\\(score)`)));
});

Deno.test("progress goes to stderr: forced with --progress, off without a terminal or with --quiet", async () => {
  const images = [imagePath("probe.png"), imagePath("probe2.png"), imagePath("probe.png")];
  const base = ["--model", modelDir("vit-gpt2"), "--json", "--max-new-tokens", "4"];
  const forced = await caption([...base, "--progress", "--batch-size", "2", ...images]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.doesNotMatch(forced.stderr, /\r/, "no carriage returns off a terminal");
  const progress = forced.errLines.filter((l) => /images/.test(l));
  assert.equal(progress.length, 3, forced.stderr);
  assert.equal(progress[0], "0/3 images");
  assert.match(progress[1], /^2\/3 images, \d+\.\d tokens\/s$/);
  assert.match(progress[2], /^3\/3 images, \d+\.\d tokens\/s$/);
  // stdout stays pure JSON, one line per image, as without progress
  const lines = forced.stdout.split("\n").filter((l) => l).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.image), images);

  for (const extra of [[], ["--quiet"]]) {
    const quiet = await caption([...base, ...extra, ...images]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(quiet.errLines, [], `${extra.join(" ")}: ${quiet.stderr}`);
    assert.equal(quiet.stdout, forced.stdout);
  }
});

Deno.test("downloads from a Hub show their bytes on the progress line", async () => {
  const server = startFixtureServer();
  try {
    const cache = await Deno.makeTempDir();
    const r = await caption(
      ["--model", "org/trocr", "--progress", "--max-new-tokens", "2", imagePath("probe.png")],
      { VEDGE_OFFLINE: "0", HF_ENDPOINT: server.origin, VEDGE_CACHE: cache },
    );
    assert.equal(r.code, 0, r.stderr);
    const encoder = r.errLines.filter((l) => l.startsWith("downloading onnx/encoder_model.onnx"));
    assert.ok(encoder.length >= 1, r.stderr);
    assert.match(encoder.at(-1)!, /: \d+\.\d [KM]iB of \d+\.\d [KM]iB \(100%\)/);
    assert.ok(r.errLines.some((l) => /^downloading config\.json: /.test(l)), r.stderr);
  } finally {
    await server.close();
  }
});

Deno.test("--verbose names the backend and why, the source, the dtype and the files", async () => {
  const common = ["--verbose", "--device", "wasm", "--max-new-tokens", "2", imagePath("probe.png")];
  const onnx = await caption(["--model", modelDir("vit-gpt2"), ...common]);
  assert.equal(onnx.code, 0, onnx.stderr);
  const say = (r: Run) => r.errLines.filter((l) => l.startsWith("vedge: "));
  assert.deepEqual(say(onnx).slice(1), [
    "vedge: backend wasm: chosen: WebAssembly SIMD validated",
    "vedge: source: ONNX export, dtype fp32",
    "vedge: files: onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx",
  ]);
  assert.match(say(onnx)[0], /^vedge: generation: num_beams 1, .* memory estimate .* of 4\.0 GiB/);
  const pair = await caption(["--model", modelDir("vit-gpt2"), "--decoder", "pair", ...common]);
  assert.ok(
    say(pair).includes(
      "vedge: files: onnx/encoder_model.onnx, onnx/decoder_model.onnx, onnx/decoder_with_past_model.onnx",
    ),
    pair.stderr,
  );
  const ckpt = await caption(["--model", modelDir("vit-gpt2"), "--from", "pytorch", ...common]);
  assert.equal(ckpt.code, 0, ckpt.stderr);
  assert.ok(say(ckpt).includes("vedge: files: pytorch_model.bin"), ckpt.stderr);
  assert.ok(say(ckpt).some((l) => /source: checkpoint/.test(l)), ckpt.stderr);
  // auto: every candidate is listed with its reason
  const auto = await caption([
    "--model",
    modelDir("vit-gpt2"),
    "--verbose",
    "--max-new-tokens",
    "2",
    imagePath("probe.png"),
  ]);
  assert.ok(say(auto).some((l) => /^vedge: backend webgpu: rejected: .+/.test(l)), auto.stderr);
  // results alone on stdout
  assert.equal(onnx.stdout.split("\n").filter((l) => l).length, 1);
});

Deno.test("an image the processor refuses fails alone, named; its batch is still captioned", async () => {
  const dir = await Deno.makeTempDir();
  // a valid 40x1 PNG: it decodes, and the image processor refuses 1-pixel-tall images
  const png = await thinPng();
  await Deno.writeFile(`${dir}/thin.png`, png);
  const r = await caption([
    "--model",
    modelDir("vit-gpt2"),
    "--json",
    "--max-new-tokens",
    "4",
    imagePath("probe.png"),
    `${dir}/thin.png`,
    imagePath("probe2.png"),
  ]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.image), [imagePath("probe.png"), imagePath("probe2.png")]);
  assert.equal(r.errLines.length, 1, r.stderr);
  assert.match(r.errLines[0], /^vedge: .*thin\.png: .*40x1/);
});

/** A 40x1 RGB PNG, written by hand (zlib stream via CompressionStream, CRC-32 per chunk). */
async function thinPng(): Promise<Uint8Array> {
  const raw = new Uint8Array(1 + 40 * 3).fill(128);
  raw[0] = 0; // filter: none
  const idat = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")))
      .arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 40);
  new DataView(ihdr.buffer).setUint32(4, 1);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])];
  for (
    const [type, data] of [["IHDR", ihdr], ["IDAT", idat], ["IEND", new Uint8Array()]] as const
  ) {
    const body = new Uint8Array(4 + data.length);
    body.set(new TextEncoder().encode(type));
    body.set(data, 4);
    const chunk = new Uint8Array(12 + data.length);
    const v = new DataView(chunk.buffer);
    v.setUint32(0, data.length);
    chunk.set(body, 4);
    v.setUint32(8 + data.length, crc32(body));
    parts.push(chunk);
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

Deno.test("preprocess: -h prints its usage; generation flags are unknown to it", async () => {
  const PRE = new URL("../../src/cli/preprocess.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", PRE, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
    }).output();
  const help = await run(["-h"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /^Usage: deno task preprocess/);
  const bad = await run([
    "--model",
    modelDir("vit-gpt2"),
    "--num-beams",
    "2",
    imagePath("probe.png"),
  ]);
  assert.equal(bad.code, 2);
  assert.equal(new TextDecoder().decode(bad.stdout), "");
  assert.equal(
    new TextDecoder().decode(bad.stderr),
    "vedge: unknown option --num-beams (see --help)\n",
  );
});
