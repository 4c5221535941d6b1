/**
 * The `convert` CLI against the goldens: a fixture checkpoint WITHOUT its onnx/ folder is
 * converted, and the ONNX files vedge writes caption probe.png to the golden ids of Python's
 * generate() (transformers v4.27 on the same weights). Broken sources end with one clear stderr
 * line, a non-zero exit, no stack trace and no output folder.
 */
import assert from "node:assert/strict";
import { golden, imagePath, modelDir } from "../support/goldens.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { resolveModelFiles } from "../../src/hub/resolve_model_files.ts";
import { readSafetensors, writeSafetensors } from "../../src/weights/safetensors.ts";
import { convertCheckpoint } from "../../src/cli/convert.ts";
import { startScriptedServer } from "../../src/hub/test_server.ts";

const CONVERT = new URL("../../src/cli/convert.ts", import.meta.url).pathname;
const CAPTION = new URL("../../src/cli/caption.ts", import.meta.url).pathname;
const PERMS = ["--allow-read", "--allow-write", "--allow-net", "--allow-env"];

async function run(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, script, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace on stderr:\n${stderr}`);
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr };
}

/** A copy of a fixture model folder without onnx/ (and without the files `drop` names). */
async function checkpointOnly(model: string, drop: string[] = []): Promise<string> {
  const dir = await Deno.makeTempDir();
  const src = modelDir(model);
  for await (const e of Deno.readDir(src)) {
    if (e.isFile && !drop.includes(e.name)) {
      await Deno.copyFile(`${src}/${e.name}`, `${dir}/${e.name}`);
    }
  }
  return dir;
}

Deno.test("convert writes a trocr export whose files caption probe.png to the golden ids", async () => {
  const src = await checkpointOnly("trocr");
  const out = `${await Deno.makeTempDir()}/converted`;
  try {
    const r = await run(CONVERT, [src, out]);
    assert.equal(r.code, 0, r.stderr);
    const written = r.stdout.trim().split("\n");
    for (const f of ["onnx/encoder_model.onnx", "onnx/decoder_model_merged.onnx", "vocab.json"]) {
      assert.ok(written.includes(f), `${f} written: ${written}`);
    }
    const g = await golden("trocr");
    const greedy = g.generate.find((c) => c.name === "greedy")!;
    const beam4 = g.generate.find((c) => c.name === "beam4")!;
    const cap = await run(CAPTION, [
      "--model",
      out,
      "--json",
      "--max-new-tokens",
      "16",
      "--threads",
      "1",
      imagePath("probe.png"),
    ]);
    assert.equal(cap.code, 0, cap.stderr);
    const line = JSON.parse(cap.stdout.trim());
    assert.deepEqual(line.sequences, [{
      text: greedy.text[0],
      token_ids: greedy.sequences[0],
      score: null,
    }]);
    const beam = await run(CAPTION, [
      "--model",
      out,
      "--json",
      "--threads",
      "1",
      "--generation-config",
      JSON.stringify(beam4.kwargs),
      imagePath("probe.png"),
    ]);
    assert.equal(beam.code, 0, beam.stderr);
    assert.deepEqual(
      JSON.parse(beam.stdout.trim()).sequences.map((s: { token_ids: number[] }) => s.token_ids),
      beam4.sequences,
    );
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});

Deno.test("convert --from pytorch reads pytorch_model.bin and the vit-gpt2 export gives the golden greedy ids", async () => {
  const src = await checkpointOnly("vit-gpt2", ["model.safetensors"]);
  const out = `${await Deno.makeTempDir()}/converted`;
  try {
    const r = await run(CONVERT, [src, out, "--from", "pytorch", "--onnx", "both"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\(pytorch\)/);
    const g = await golden("vit-gpt2");
    const pv = g.pixel_values["probe.png"];
    const greedy = g.generate.find((c) => c.name === "greedy")!;
    for (const decoder of ["merged", "pair"] as const) {
      // as shipped: the GPT2 export recomputes cross-attention K/V at every step
      const model = await VisionEncoderDecoderModel.fromFiles(await resolveModelFiles(out), {
        device: "wasm",
        numThreads: 1,
        decoder,
        crossAttentionOnce: false,
      });
      try {
        const res = await model.generate(
          { data: Float32Array.from(pv.data), dims: pv.dims },
          { max_new_tokens: 16 },
        );
        assert.deepEqual(res.sequences, greedy.sequences, decoder);
      } finally {
        await model.dispose();
      }
    }
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
});

Deno.test("convert refuses broken sources with one clear stderr line and writes nothing", async () => {
  const cases: [string, (dir: string) => Promise<void>, string[], RegExp, number][] = [
    [
      "no checkpoint",
      async (dir) => {
        await Deno.remove(`${dir}/model.safetensors`);
        await Deno.remove(`${dir}/pytorch_model.bin`);
      },
      [],
      /none of model\.safetensors.*pytorch_model\.bin/,
      1,
    ],
    [
      "--from safetensors without model.safetensors",
      (dir) => Deno.remove(`${dir}/model.safetensors`),
      ["--from", "safetensors"],
      /--from safetensors: it has no model\.safetensors/,
      1,
    ],
    [
      "truncated safetensors",
      async (dir) => {
        const bytes = await Deno.readFile(`${dir}/model.safetensors`);
        await Deno.writeFile(`${dir}/model.safetensors`, bytes.subarray(0, 100));
      },
      [],
      /model\.safetensors.*runs past the end of the file/,
      1,
    ],
    [
      "unsupported encoder type",
      async (dir) => {
        const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
        cfg.encoder.model_type = "clip_vision_model";
        await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(cfg));
      },
      [],
      /model_type "clip_vision_model" is not a supported vision encoder/,
      1,
    ],
    [
      "a tensor missing",
      async (dir) => {
        const { tensors } = readSafetensors(await Deno.readFile(`${dir}/model.safetensors`));
        tensors.delete("decoder.model.decoder.layers.0.fc1.weight");
        await Deno.writeFile(`${dir}/model.safetensors`, writeSafetensors(tensors));
      },
      [],
      /1 problem\(s\).*\(missing: decoder\.model\.decoder\.layers\.0\.fc1\.weight/,
      1,
    ],
    [
      "a bad --onnx value",
      () => Promise.resolve(),
      ["--onnx", "nope"],
      /--onnx takes merged, pair, both or none/,
      2,
    ],
  ];
  for (const [name, edit, flags, message, code] of cases) {
    const src = await checkpointOnly("trocr");
    const out = `${await Deno.makeTempDir()}/converted`;
    try {
      await edit(src);
      const r = await run(CONVERT, [src, out, ...flags]);
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `${name}: one line, got:\n${r.stderr}`);
      assert.match(lines[0], /^vedge: /, name);
      assert.match(lines[0], message, name);
      assert.equal(r.stdout, "", name);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound, `${name}: nothing written`);
    } finally {
      await Deno.remove(src, { recursive: true });
    }
  }
});

Deno.test("convert replaces an existing output folder whole, and leaves it untouched when the Hub fails mid-way", async () => {
  const src = modelDir("trocr");
  let tokenizerStatus = 500;
  const server = startScriptedServer(async (req, path) => {
    const file = decodeURIComponent(path.split("/resolve/main/")[1] ?? "");
    if (file === "tokenizer.json" && tokenizerStatus !== 200) {
      return new Response("oops", { status: tokenizerStatus });
    }
    try {
      if (file.startsWith("onnx/") || file.includes("..")) throw new Error("absent");
      const bytes = await Deno.readFile(`${src}/${file}`);
      return new Response(req.method === "HEAD" ? null : bytes, {
        headers: { "content-length": String(bytes.length) },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const root = await Deno.makeTempDir();
  const out = `${root}/out`;
  const old = new Map(
    ["HF_ENDPOINT", "VEDGE_CACHE", "VEDGE_OFFLINE"].map((k) => [k, Deno.env.get(k)]),
  );
  Deno.env.set("HF_ENDPOINT", server.origin);
  Deno.env.set("VEDGE_CACHE", `${root}/cache`);
  Deno.env.delete("VEDGE_OFFLINE");
  try {
    await Deno.mkdir(out);
    await Deno.writeTextFile(`${out}/README.md`, "# mine\n");
    await Deno.writeTextFile(`${out}/onnx`, "a file where onnx/ goes");
    await Deno.writeTextFile(`${out}/config.json`, "{}");
    const listing = async (): Promise<string[]> => {
      const names: string[] = [];
      for await (const e of Deno.readDir(out)) names.push(`${e.name}${e.isDirectory ? "/" : ""}`);
      return names.sort();
    };
    const before = await listing();
    await assert.rejects(
      convertCheckpoint("org/trocr", out),
      (e: unknown) => e instanceof Error && /tokenizer\.json.*HTTP 500/.test(e.message),
    );
    assert.deepEqual(await listing(), before);
    assert.equal(await Deno.readTextFile(`${out}/config.json`), "{}");
    const siblings = async (): Promise<string[]> => {
      const names: string[] = [];
      for await (const e of Deno.readDir(root)) names.push(e.name);
      return names.sort();
    };
    assert.deepEqual(await siblings(), ["cache", "out"], "no temporary folder left");

    tokenizerStatus = 200;
    const r = await convertCheckpoint("org/trocr", out);
    assert.ok(r.written.includes("onnx/encoder_model.onnx"));
    assert.equal(await Deno.readTextFile(`${out}/README.md`), "# mine\n");
    assert.ok((await Deno.stat(`${out}/onnx`)).isDirectory);
    assert.deepEqual(
      await listing(),
      [...new Set([...r.written.map((p) => p.startsWith("onnx/") ? "onnx/" : p), "README.md"])]
        .sort(),
    );
    assert.deepEqual(await siblings(), ["cache", "out"], "no temporary or old folder left");
  } finally {
    for (const [k, v] of old) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});
