// savePretrained() of each fixture (config.json + model.safetensors + tokenizer/processor files)
// into a temporary folder, then that folder loaded by transformers.js 4.3.1 offline (WASM, one
// thread, in a child process: see tests/support/transformers_js_generate.ts): its greedy generate() must
// give the golden ids of transformers v4.27. The written files are checked against what Python's
// save_pretrained wrote for the fixtures (their config.json and generation_config.json).
import assert from "node:assert/strict";
import { parseGenerationConfig } from "../config/generation_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { folderFiles } from "../hub/folder_files.ts";
import { createDenoPlatform } from "../platform/deno.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import { readSafetensors } from "../weights/safetensors.ts";
import { generationConfigJson, pythonJson, savePretrained } from "./save_pretrained.ts";

const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);
const CASES = ["greedy", "greedy_probe2", "greedy_jpeg"];
const BATCH = "batch2_greedy";

async function saveFixture(name: string, root: string) {
  const platform = createDenoPlatform();
  const src = new URL(`models/${name}/`, FIXTURES).pathname;
  const files = folderFiles(name, src, platform);
  const raw = JSON.parse(await Deno.readTextFile(`${src}/config.json`));
  const config = VisionEncoderDecoderConfig.fromDict(raw, `${name}/config.json`);
  const { tensors } = await loadCheckpoint(files);
  const dir = `${root}/${name}`;
  const written = await savePretrained(dir, { config, weights: tensors, files, platform });
  return { src, dir, raw, tensors, written };
}

Deno.test("savePretrained() folders load in transformers.js 4.3.1 offline and give the golden greedy ids", async () => {
  const root = await Deno.makeTempDir({ prefix: "vedge_save_" });
  try {
    for (const name of ["vit-gpt2", "trocr"]) {
      const { src, dir, raw, tensors, written } = await saveFixture(name, root);
      assert.deepEqual(
        written.filter((p) => !p.startsWith("onnx/")).sort(),
        [...Deno.readDirSync(src)].map((e) => e.name).filter((f) =>
          f !== "onnx" && f !== "pytorch_model.bin"
        ).sort(),
      );
      assert.deepEqual(written.filter((p) => p.startsWith("onnx/")), [
        "onnx/encoder_model.onnx",
        "onnx/decoder_model_merged.onnx",
      ]);
      // config.json: Python's, except _commit_hash (which save_pretrained drops on reload).
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      const { _commit_hash: _, ...want } = raw;
      assert.deepEqual(saved, want);
      for (const f of ["generation_config.json", "tokenizer.json", "preprocessor_config.json"]) {
        assert.deepEqual(await Deno.readFile(`${dir}/${f}`), await Deno.readFile(`${src}/${f}`));
      }
      const st = readSafetensors(await Deno.readFile(`${dir}/model.safetensors`));
      assert.deepEqual(st.metadata, { format: "pt" });
      assert.deepEqual([...st.tensors.keys()].sort(), [...tensors.keys()].sort());
      for (const [k, t] of tensors) assert.deepEqual(st.tensors.get(k)!.data, t.data, k);
    }
    for (const name of ["vit-gpt2", "trocr"]) {
      const golden = new URL(`goldens/${name}.json`, FIXTURES).pathname;
      const ours = await runTransformersJs(new URL(`file://${root}/`).href, name, golden, [
        ...CASES,
        BATCH,
      ]);
      assert.equal(ours.version, "4.3.1");
      assert.ok(ours.fetched.includes(`${name}/onnx/decoder_model_merged.onnx`));
      const want = JSON.parse(await Deno.readTextFile(golden)).generate;
      for (const c of CASES) {
        const expected = want.find((g: { name: string }) => g.name === c).sequences;
        assert.deepEqual(ours.results[c], expected, `${name} ${c}`);
      }
      // transformers.js keeps decoding rows that ended (Python pads them), so a batch is compared
      // with the fixture's own Optimum export run the same way instead of the golden.
      const theirs = await runTransformersJs(FIXTURES.href + "models/", name, golden, [BATCH]);
      assert.deepEqual(ours.results[BATCH], theirs.results[BATCH], `${name} ${BATCH}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

interface TjsRun {
  version: string;
  fetched: string[];
  results: Record<string, number[][]>;
}

/** Runs tests/support/transformers_js_generate.ts on a folder of models; returns what it printed. */
async function runTransformersJs(
  modelsUrl: string,
  name: string,
  golden: string,
  cases: string[],
): Promise<TjsRun> {
  const support =
    new URL("../../tests/support/transformers_js_generate.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--node-modules-dir=manual", support, modelsUrl, name, golden, ...cases],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, `transformers.js on ${modelsUrl}${name}: ${dec.decode(out.stderr)}`);
  return JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("generationConfigJson() writes Python's diff dict: non-default fields, _from_model_config, version", () => {
  const c = parseGenerationConfig({ decoder_start_token_id: 2, eos_token_id: 2, pad_token_id: 1 });
  assert.equal(
    pythonJson(generationConfigJson(c, true)),
    '{\n  "_from_model_config": true,\n  "decoder_start_token_id": 2,\n  "eos_token_id": 2,\n' +
      '  "pad_token_id": 1,\n  "transformers_version": "4.27.0"\n}\n',
  );
});

Deno.test("pythonJson() sorts keys at every level and escapes non-ASCII as json.dumps does", () => {
  assert.equal(
    pythonJson({ b: { d: 1, c: "é" }, a: [2] }),
    '{\n  "a": [\n    2\n  ],\n  "b": {\n    "c": "\\u00e9",\n    "d": 1\n  }\n}\n',
  );
});
