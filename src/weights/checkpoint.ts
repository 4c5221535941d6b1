/**
 * Finds and loads a model's PyTorch-side weights from its files, in the order transformers'
 * `from_pretrained` (v4.27) tries them: `model.safetensors`, `model.safetensors.index.json`
 * (sharded), `pytorch_model.bin`, `pytorch_model.bin.index.json`. A shard index maps each
 * tensor name to a shard file (`{"metadata": {...}, "weight_map": {name: file}}`); every shard
 * is loaded once and every mapped name must be found in its shard.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { type ModelFiles, readJson } from "../hub/model_files.ts";
import { readPytorchBin } from "./pytorch_bin.ts";
import { readSafetensors } from "./safetensors.ts";
import type { WeightMap } from "./weight_map.ts";

/** Which layout the weights came from. */
export type CheckpointFormat =
  | "safetensors"
  | "safetensors-sharded"
  | "pytorch"
  | "pytorch-sharded";

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Tensors by name. */
  tensors: WeightMap;
  /** The layout found. */
  format: CheckpointFormat;
  /** The files read, Hub-relative, index first when sharded. */
  paths: string[];
}

/** Reads one weights file into tensors. */
export type ShardReader = (bytes: Uint8Array, source: string) => WeightMap | Promise<WeightMap>;

const readSafetensorsShard: ShardReader = (bytes, source) => readSafetensors(bytes, source).tensors;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Loads a sharded checkpoint through its index.
 * @param files the model's files
 * @param indexPath e.g. `model.safetensors.index.json`; shard paths are relative to its folder
 * @param readShard reads one shard (defaults to safetensors)
 * @returns all tensors of all shards, shard by shard, and the files read
 * @throws ModelLoadError for a malformed index, unsafe shard paths, or mapped names missing
 *   from their shard (all of them listed)
 */
export async function loadShardedCheckpoint(
  files: ModelFiles,
  indexPath: string,
  readShard: ShardReader = readSafetensorsShard,
): Promise<{ tensors: WeightMap; paths: string[] }> {
  const where = `${indexPath} from ${files.id}`;
  const index = await readJson<unknown>(files, indexPath);
  const weightMap = isRecord(index) ? index.weight_map : undefined;
  if (!isRecord(weightMap) || !Object.values(weightMap).every((v) => typeof v === "string")) {
    throw new ModelLoadError(`Cannot load ${where}: "weight_map" must map tensor names to files`);
  }
  const dir = indexPath.includes("/") ? indexPath.slice(0, indexPath.lastIndexOf("/") + 1) : "";
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, string>)) {
    if (
      shard === "" || shard.startsWith("/") || shard.includes("\\") ||
      shard.split("/").includes("..")
    ) {
      throw new ModelLoadError(
        `Cannot load ${where}: shard path ${JSON.stringify(shard)} is refused`,
      );
    }
    const list = byShard.get(shard) ?? [];
    list.push(name);
    byShard.set(shard, list);
  }
  const tensors: WeightMap = new Map();
  const owner = new Map<string, string>();
  const paths = [indexPath];
  const missing: string[] = [];
  for (const [shard, names] of byShard) {
    const path = dir + shard;
    paths.push(path);
    const map = await readShard(await files.read(path), `${path} from ${files.id}`);
    for (const name of names) if (!map.has(name)) missing.push(`${name} (in ${shard})`);
    for (const [name, t] of map) {
      const mapped = (weightMap as Record<string, string>)[name];
      if (mapped !== undefined && mapped !== shard) continue; // the index says it lives elsewhere
      if (owner.has(name)) {
        throw new ModelLoadError(
          `Cannot load ${where}: tensor ${name} appears in ${owner.get(name)} and ${shard}`,
        );
      }
      owner.set(name, shard);
      tensors.set(name, t);
    }
  }
  if (missing.length) {
    const shown = missing.slice(0, 20).join(", ");
    throw new ModelLoadError(
      `Cannot load ${where}: ${missing.length} tensor(s) named by the index are not in their ` +
        `shard: ${shown}${missing.length > 20 ? ", ..." : ""}`,
    );
  }
  return { tensors, paths };
}

/**
 * Loads a model's weights from whichever checkpoint layout its files hold.
 * @param files the model's files
 * @param options `prefer`: "safetensors" (default, as transformers) or "pytorch" to try
 *   pytorch_model.bin first
 * @returns the tensors, the layout found and the files read
 * @throws ModelLoadError when none of the four layouts is present (naming all four)
 */
export async function loadCheckpoint(
  files: ModelFiles,
  options: { prefer?: "safetensors" | "pytorch" } = {},
): Promise<Checkpoint> {
  const safetensors = async (): Promise<Checkpoint | undefined> => {
    if (await files.has("model.safetensors")) {
      const bytes = await files.read("model.safetensors");
      const { tensors } = readSafetensors(bytes, `model.safetensors from ${files.id}`);
      return { tensors, format: "safetensors", paths: ["model.safetensors"] };
    }
    if (await files.has("model.safetensors.index.json")) {
      const r = await loadShardedCheckpoint(files, "model.safetensors.index.json");
      return { ...r, format: "safetensors-sharded" };
    }
  };
  const pytorch = async (): Promise<Checkpoint | undefined> => {
    if (await files.has("pytorch_model.bin")) {
      const bytes = await files.read("pytorch_model.bin");
      const tensors = await readPytorchBin(bytes, `pytorch_model.bin from ${files.id}`);
      return { tensors, format: "pytorch", paths: ["pytorch_model.bin"] };
    }
    if (await files.has("pytorch_model.bin.index.json")) {
      const r = await loadShardedCheckpoint(files, "pytorch_model.bin.index.json", readPytorchBin);
      return { ...r, format: "pytorch-sharded" };
    }
  };
  const order = options.prefer === "pytorch" ? [pytorch, safetensors] : [safetensors, pytorch];
  for (const attempt of order) {
    const found = await attempt();
    if (found) return found;
  }
  throw new ModelLoadError(
    `Cannot load weights from ${files.id}: none of model.safetensors, ` +
      `model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json is present`,
  );
}
