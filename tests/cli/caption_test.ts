/**
 * The `caption` CLI against the goldens and against bad input (ARCHITECTURE.md, "CLI"): one JSON line
 * per good image in input order, the exact ids and texts of Python's generate(), beam scores; one
 * clear stderr line per bad image or model, non-zero exit, never a stack trace.
 */
import assert from "node:assert/strict";
import { golden, imagePath, modelDir } from "../support/goldens.ts";

const CLI = new URL("../../src/cli/caption.ts", import.meta.url).pathname;

async function caption(args: string[], stdin?: Uint8Array) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: stdin ? "piped" : "null",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
  });
  const child = cmd.spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace on stderr:\n${stderr}`);
  const lines = stdout.split("\n").filter((l) => l).map((l) => JSON.parse(l));
  return { code: out.code, lines, stderr };
}

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`caption --json gives the golden greedy ids and texts for ${model}, alone and together`, async () => {
    const g = await golden(model);
    const byName = (n: string) => g.generate.find((c) => c.name === n)!;
    const alone = await caption([
      "--model",
      modelDir(model),
      "--json",
      "--max-new-tokens",
      "16",
      "--batch-size",
      "1",
      imagePath("probe.png"),
      imagePath("probe2.png"),
    ]);
    assert.equal(alone.code, 0, alone.stderr);
    assert.deepEqual(alone.lines.map((l) => l.image), [
      imagePath("probe.png"),
      imagePath("probe2.png"),
    ]);
    for (const [i, name] of ["greedy", "greedy_probe2"].entries()) {
      assert.deepEqual(alone.lines[i].sequences, [{
        text: byName(name).text[0],
        token_ids: byName(name).sequences[0],
        score: null,
      }]);
    }
    const together = await caption([
      "--model",
      modelDir(model),
      "--json",
      "--max-new-tokens",
      "16",
      imagePath("probe.png"),
      imagePath("probe2.png"),
    ]);
    const batch = byName("batch2_greedy");
    assert.deepEqual(together.lines.map((l) => l.sequences[0].token_ids), batch.sequences);
    assert.deepEqual(together.lines.map((l) => l.sequences[0].text), batch.text);
  });

  Deno.test(`caption beam flags and --generation-config reproduce ${model}'s beam goldens`, async () => {
    const g = await golden(model);
    const nrs = g.generate.find((c) => c.name === "beam4_nrs3_lp0.6")!;
    const r = await caption([
      "--model",
      modelDir(model),
      "--json",
      "--num-beams",
      "4",
      "--num-return-sequences",
      "3",
      "--generation-config",
      JSON.stringify({ length_penalty: 0.6, max_new_tokens: 5 }),
      "--max-new-tokens",
      "16", // explicit flags win over --generation-config
      imagePath("probe.png"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const seqs = r.lines[0].sequences;
    assert.deepEqual(seqs.map((s: { token_ids: number[] }) => s.token_ids), nrs.sequences);
    assert.deepEqual(seqs.map((s: { text: string }) => s.text), nrs.text);
    seqs.forEach((s: { score: number }, i: number) =>
      assert.ok(Math.abs(s.score - nrs.sequences_scores![i]) < 1e-4)
    );
  });
}

Deno.test("caption reports each bad image on one stderr line and still captions the good ones", async () => {
  const dir = await Deno.makeTempDir();
  const png = await Deno.readFile(imagePath("probe.png"));
  const jpg = await Deno.readFile(imagePath("probe.jpg"));
  // a PNG whose IHDR claims 100000 x 100000 (CRC irrelevant: refused from the header)
  const bomb = png.slice(0, 33);
  new DataView(bomb.buffer).setUint32(16, 100000);
  new DataView(bomb.buffer).setUint32(20, 100000);
  const files: Record<string, Uint8Array> = {
    "text.png": new TextEncoder().encode("not an image at all"),
    "cut.jpg": jpg.slice(0, Math.floor(jpg.length / 2)),
    "bomb.png": bomb,
  };
  for (const [n, b] of Object.entries(files)) await Deno.writeFile(`${dir}/${n}`, b);
  const names = [
    `${dir}/text.png`,
    imagePath("probe.png"),
    `${dir}/cut.jpg`,
    `${dir}/missing.png`,
    `${dir}/bomb.png`,
    "-",
  ];
  const r = await caption([
    "--model",
    modelDir("vit-gpt2"),
    "--json",
    "--max-new-tokens",
    "4",
    ...names,
  ], png);
  assert.notEqual(r.code, 0);
  assert.deepEqual(r.lines.map((l) => l.image), [imagePath("probe.png"), "-"]);
  const errs = r.stderr.split("\n").filter((l) => l.startsWith("vedge: "));
  assert.equal(errs.length, 4, r.stderr);
  assert.match(errs[0], /text\.png: .*neither PNG nor JPEG/);
  assert.match(errs[1], /cut\.jpg: .*(truncated|corrupt)/i);
  assert.match(errs[2], /missing\.png: .*no such file/);
  assert.match(errs[3], /bomb\.png: .*100000x100000/);
});

async function brokenModel(edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = await Deno.makeTempDir();
  const src = modelDir("trocr");
  for (
    const f of [
      "config.json",
      "generation_config.json",
      "preprocessor_config.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "vocab.json",
      "merges.txt",
    ]
  ) {
    await Deno.copyFile(`${src}/${f}`, `${dir}/${f}`);
  }
  await Deno.mkdir(`${dir}/onnx`);
  for (const f of ["encoder_model.onnx", "decoder_model_merged.onnx"]) {
    await Deno.copyFile(`${src}/onnx/${f}`, `${dir}/onnx/${f}`);
  }
  await edit(dir);
  return dir;
}

Deno.test("caption refuses broken models with one clear line", async () => {
  const cases: [string, (d: string) => Promise<void>, RegExp][] = [
    [
      "missing decoder",
      (d) => Deno.remove(`${d}/onnx/decoder_model_merged.onnx`),
      /decoder_model_merged\.onnx.*decoder_model\.onnx/,
    ],
    ["truncated encoder", async (d) => {
      const b = await Deno.readFile(`${d}/onnx/encoder_model.onnx`);
      await Deno.writeFile(`${d}/onnx/encoder_model.onnx`, b.slice(0, 5000));
    }, /encoder_model\.onnx.*(truncated|not an ONNX)/],
    ["unsupported model type", async (d) => {
      const c = JSON.parse(await Deno.readTextFile(`${d}/config.json`));
      c.decoder.model_type = "llama";
      await Deno.writeTextFile(`${d}/config.json`, JSON.stringify(c));
    }, /llama/],
    ["missing config", (d) => Deno.remove(`${d}/config.json`), /config\.json/],
  ];
  for (const [what, edit, pattern] of cases) {
    const r = await caption(["--model", await brokenModel(edit), "--json", imagePath("probe.png")]);
    assert.notEqual(r.code, 0, what);
    assert.equal(r.lines.length, 0, what);
    assert.match(r.stderr.trim().split("\n")[0], pattern, `${what}: ${r.stderr}`);
  }
});
