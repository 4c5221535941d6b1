// savePretrained() writes its folder whole or not at all: into a temporary sibling renamed into
// place, replacing an existing folder as Python's save_pretrained overwrites it (other files kept,
// stale weights and onnx/ dropped), and leaving everything as it was when a file cannot be read.
import assert from "node:assert/strict";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { ModelLoadError } from "../errors.ts";
import { folderFiles } from "../hub/folder_files.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import { createDenoPlatform } from "../platform/deno.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import { savePretrained } from "./save_pretrained.ts";

const SRC = new URL("../../tests/fixtures/models/trocr/", import.meta.url).pathname;
const platform = createDenoPlatform();
const enc = new TextEncoder();

async function source() {
  const files = folderFiles("trocr", SRC, platform);
  const raw = JSON.parse(await Deno.readTextFile(`${SRC}/config.json`));
  const config = VisionEncoderDecoderConfig.fromDict(raw, "trocr/config.json");
  const { tensors } = await loadCheckpoint(files);
  return { files, config, weights: tensors };
}

function hash(b: Uint8Array): string {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619);
  return String(h >>> 0);
}

/** Every path under a folder (folders end in "/") with a hash of each file's content. */
async function snapshot(dir: string, root = dir): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    const full = `${dir}/${e.name}`;
    const rel = full.slice(root.length + 1);
    if (e.isDirectory) Object.assign(out, { [`${rel}/`]: "" }, await snapshot(full, root));
    else out[rel] = hash(await Deno.readFile(full));
  }
  return out;
}

async function entries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

/** The source's files with tokenizer.json failing as a Hub answering 500 would. */
function failing(files: ModelFiles): ModelFiles {
  return {
    ...files,
    read: (p) =>
      p === "tokenizer.json"
        ? Promise.reject(new ModelLoadError("Cannot load tokenizer.json from hub: HTTP 500"))
        : files.read(p),
  };
}

Deno.test("savePretrained() into a new folder renames a complete temporary folder into place", async () => {
  const root = await Deno.makeTempDir();
  try {
    const s = await source();
    const written = await savePretrained(`${root}/out`, { ...s, platform, onnx: "none" });
    assert.deepEqual(await entries(root), ["out"], "no temporary folder left");
    assert.deepEqual(Object.keys(await snapshot(`${root}/out`)).sort(), [...written].sort());
    // A failing source leaves no folder at all.
    await assert.rejects(
      savePretrained(`${root}/out2`, { ...s, files: failing(s.files), platform, onnx: "none" }),
      /tokenizer\.json from hub: HTTP 500/,
    );
    assert.deepEqual(await entries(root), ["out"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("savePretrained() over an existing folder keeps other files, drops stale weights and onnx/, or changes nothing on failure", async () => {
  const root = await Deno.makeTempDir();
  const out = `${root}/out`;
  try {
    await Deno.mkdir(`${out}/.git`, { recursive: true });
    await Deno.writeFile(`${out}/.git/HEAD`, enc.encode("ref: refs/heads/main\n"));
    await Deno.writeFile(`${out}/README.md`, enc.encode("# my model\n"));
    await Deno.writeFile(`${out}/onnx`, enc.encode("a file where a folder goes"));
    await Deno.writeFile(`${out}/pytorch_model.bin`, enc.encode("old weights"));
    await Deno.writeFile(`${out}/model-00001-of-00002.safetensors`, enc.encode("old shard"));
    await Deno.writeFile(`${out}/config.json`, enc.encode("{}"));
    const before = await snapshot(out);
    const s = await source();

    await assert.rejects(
      savePretrained(out, { ...s, files: failing(s.files), platform }),
      /HTTP 500/,
    );
    assert.deepEqual(await snapshot(out), before, "the old folder is untouched");
    assert.deepEqual(await entries(root), ["out"], "no temporary folder left");

    const written = await savePretrained(out, { ...s, platform });
    assert.ok(written.includes("onnx/encoder_model.onnx"));
    const after = await snapshot(out);
    assert.equal(after["README.md"], before["README.md"]);
    assert.equal(after[".git/HEAD"], before[".git/HEAD"]);
    assert.equal(after["pytorch_model.bin"], undefined);
    assert.equal(after["model-00001-of-00002.safetensors"], undefined);
    assert.equal(after["onnx/"], "", "onnx/ is a folder now");
    assert.notEqual(after["config.json"], before["config.json"]);
    const expected = [...written, "README.md", ".git/HEAD", ".git/", "onnx/"].sort();
    assert.deepEqual(Object.keys(after).sort(), expected);
    assert.deepEqual(await entries(root), ["out"], "no temporary or old folder left");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("savePretrained() refuses a file as its folder, with a clear error", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${root}/out`, enc.encode("x"));
    const s = await source();
    await assert.rejects(
      savePretrained(`${root}/out`, { ...s, platform, onnx: "none" }),
      /Cannot write the folder .*\/out: .*exists and is not a folder/,
    );
    assert.deepEqual(await entries(root), ["out"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
