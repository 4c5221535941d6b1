import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { memoryFiles } from "../hub/model_files.ts";
import { loadCheckpoint, loadShardedCheckpoint } from "./checkpoint.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import type { WeightMap } from "./weight_map.ts";

const MODELS = new URL("../../tests/fixtures/models/", import.meta.url);

/** Splits the trocr fixture into two shards with an index, as transformers' shard_checkpoint does. */
async function sharded(): Promise<
  { all: WeightMap; entries: Record<string, Uint8Array | string> }
> {
  const all =
    readSafetensors(await Deno.readFile(new URL("trocr/model.safetensors", MODELS))).tensors;
  const names = [...all.keys()];
  const half = Math.floor(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const entries: Record<string, Uint8Array | string> = {};
  const weightMap: Record<string, string> = {};
  shards.forEach((list, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    entries[file] = writeSafetensors(new Map(list.map((n) => [n, all.get(n)!])), { format: "pt" });
    for (const n of list) weightMap[n] = file;
  });
  entries["model.safetensors.index.json"] = JSON.stringify({
    metadata: { total_size: 1 },
    weight_map: weightMap,
  });
  return { all, entries };
}

Deno.test("loadShardedCheckpoint() joins the shards named by model.safetensors.index.json", async () => {
  const { all, entries } = await sharded();
  const { tensors, paths } = await loadShardedCheckpoint(
    memoryFiles("m", entries),
    "model.safetensors.index.json",
  );
  assert.equal(paths.length, 3);
  assert.deepEqual([...tensors.keys()].sort(), [...all.keys()].sort());
  for (const [n, t] of all) assert.deepEqual([...tensors.get(n)!.data], [...t.data], n);
});

Deno.test("loadShardedCheckpoint() names every mapped tensor its shard lacks, and refuses ../ paths", async () => {
  const { entries } = await sharded();
  const index = JSON.parse(entries["model.safetensors.index.json"] as string);
  index.weight_map["decoder.ghost.weight"] = "model-00001-of-00002.safetensors";
  index.weight_map["decoder.ghost.bias"] = "model-00002-of-00002.safetensors";
  const files = memoryFiles("m", {
    ...entries,
    "model.safetensors.index.json": JSON.stringify(index),
  });
  await assert.rejects(
    () => loadShardedCheckpoint(files, "model.safetensors.index.json"),
    (e: unknown) =>
      e instanceof ModelLoadError &&
      /2 tensor\(s\) named by the index are not in their shard: decoder\.ghost\.weight \(in model-00001-of-00002\.safetensors\), decoder\.ghost\.bias/
        .test(e.message),
  );
  const evil = memoryFiles("m", {
    "i.json": JSON.stringify({ weight_map: { a: "../../etc/passwd" } }),
  });
  await assert.rejects(
    () => loadShardedCheckpoint(evil, "i.json"),
    /shard path "\.\.\/\.\.\/etc\/passwd" is refused/,
  );
  const noMap = memoryFiles("m", { "i.json": "{}" });
  await assert.rejects(() => loadShardedCheckpoint(noMap, "i.json"), /"weight_map" must map/);
});

Deno.test("loadCheckpoint() prefers model.safetensors, falls back to pytorch_model.bin, names all four when none", async () => {
  const st = await Deno.readFile(new URL("trocr/model.safetensors", MODELS));
  const bin = await Deno.readFile(new URL("trocr/pytorch_model.bin", MODELS));
  const both = memoryFiles("both", { "model.safetensors": st, "pytorch_model.bin": bin });
  assert.equal((await loadCheckpoint(both)).format, "safetensors");
  assert.equal((await loadCheckpoint(both, { prefer: "pytorch" })).format, "pytorch");
  const binOnly = await loadCheckpoint(memoryFiles("bin", { "pytorch_model.bin": bin }));
  assert.equal(binOnly.tensors.size, 101);
  const { entries } = await sharded();
  assert.equal((await loadCheckpoint(memoryFiles("s", entries))).format, "safetensors-sharded");
  await assert.rejects(
    () => loadCheckpoint(memoryFiles("empty", {})),
    /none of model\.safetensors, .*pytorch_model\.bin\.index\.json/,
  );
});
