/**
 * `pytorch_model.bin`: what torch.save writes. The zip format (torch >= 1.6): `<archive>/data.pkl`
 * (a pickle whose persistent ids name storages) and `<archive>/data/<key>` (each storage's raw
 * bytes), optionally `<archive>/byteorder`. The legacy format (torch < 1.6): several pickles in a
 * row (magic number, protocol version, system info, the object, the storage keys), then each
 * storage as an int64 element count followed by its bytes. Nothing in the file is executed: see
 * pickle.ts and torch_pickle.ts.
 * @module
 */
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { describe, type PickleValue, unpickle } from "./pickle.ts";
import {
  asStorageType,
  collectStateDict,
  type StorageRef,
  TensorRef,
  torchBuild,
  torchGlobals,
} from "./torch_pickle.ts";
import type { WeightMap } from "./weight_map.ts";
import { DTYPE_BYTES, type WeightDtype } from "./weight_tensor.ts";
import { looksLikeZip, openZip } from "./zip.ts";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * Reads a torch checkpoint holding a state_dict (str -> tensor).
 * @param bytes the whole file
 * @param source the file's name for messages, e.g. `pytorch_model.bin from ./m`
 * @returns tensors in the state_dict's order; contiguous ones are views into `bytes`
 * @throws ModelLoadError for refused globals (named as `module.name`), truncation, bad records;
 *   UnsupportedModelError for TorchScript archives, tar-era files and unsupported storage types
 * @example
 * ```ts
 * import { readPytorchBin } from "./pytorch_bin.ts";
 * const bytes = await Deno.readFile("tests/fixtures/models/trocr/pytorch_model.bin");
 * (await readPytorchBin(bytes, "trocr")).size; // 101
 * ```
 */
export async function readPytorchBin(
  bytes: Uint8Array,
  source = "pytorch_model.bin",
): Promise<WeightMap> {
  if (looksLikeZip(bytes)) return await readZipCheckpoint(bytes, source);
  if (bytes.byteLength > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === "ustar") {
    throw new UnsupportedModelError(
      `Cannot load ${source}: a tar-format torch checkpoint (torch < 0.4); re-save it with torch.save`,
    );
  }
  if (bytes[0] === 0x80) return readLegacyCheckpoint(bytes, source);
  throw new ModelLoadError(
    `Cannot load ${source}: neither a zip nor a legacy torch checkpoint (starts with 0x${
      (bytes[0] ?? 0).toString(16)
    }, ${bytes.byteLength} bytes)`,
  );
}

function swapBytes(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  for (let i = 0; i < data.byteLength; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = data[i + size - 1 - j];
  }
  return out;
}

function tensorsIn(value: PickleValue): TensorRef[] {
  return value instanceof Map ? [...value.values()].filter((v) => v instanceof TensorRef) : [];
}

async function readZipCheckpoint(bytes: Uint8Array, source: string): Promise<WeightMap> {
  const zip = openZip(bytes, source);
  const names = [...zip.entries.keys()];
  const pkls = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (names.some((n) => /^[^/]+\/constants\.pkl$/.test(n))) {
    throw new UnsupportedModelError(
      `Cannot load ${source}: a TorchScript archive, not a state_dict`,
    );
  }
  if (pkls.length !== 1) {
    throw new ModelLoadError(
      `Cannot load ${source}: expected one <archive>/data.pkl in the zip, found ${pkls.length}`,
    );
  }
  const prefix = pkls[0].slice(0, -"data.pkl".length);
  let bigEndian = false;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(await zip.read(`${prefix}byteorder`));
    if (order !== "little" && order !== "big") {
      throw new ModelLoadError(
        `Cannot load ${source}: unknown byteorder record ${JSON.stringify(order)}`,
      );
    }
    bigEndian = order === "big";
  }
  const pklSource = `${pkls[0]} in ${source}`;
  const storages = new Map<string, StorageRef>();
  const { value } = unpickle(await zip.read(pkls[0]), {
    source: pklSource,
    resolveGlobal: torchGlobals(pklSource),
    build: torchBuild,
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length !== 5) {
        throw new ModelLoadError(
          `Cannot load ${pklSource}: unknown persistent id ${describe(pid)}`,
        );
      }
      const type = asStorageType(pid[1], pklSource);
      const key = String(pid[2]);
      const count = pid[4];
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
        throw new ModelLoadError(`Cannot load ${pklSource}: storage ${key} has a bad size`);
      }
      const known = storages.get(key);
      if (known) return known;
      const ref = { key, dtype: type.dtype, numel: count, elementOffset: 0 };
      storages.set(key, ref);
      return ref;
    },
  });
  // The pickle is fully read (globals checked) before any storage record is touched.
  const loaded = new Map<string, Uint8Array>();
  for (const t of tensorsIn(value)) {
    const ref = t.storage;
    if (loaded.has(ref.key)) continue;
    const record = `${prefix}data/${ref.key}`;
    const entry = zip.entries.get(record);
    if (!entry) {
      throw new ModelLoadError(`Cannot load ${source}: storage record ${record} is missing`);
    }
    const es = DTYPE_BYTES[ref.dtype];
    // Checked against the directory before anything is read or inflated.
    if (entry.size !== ref.numel * es) {
      throw new ModelLoadError(
        `Cannot load ${source}: ${record} declares ${entry.size} bytes, its ${ref.numel}-element ` +
          `${ref.dtype} storage needs ${ref.numel * es}`,
      );
    }
    const data = await zip.read(record);
    if (data.byteLength !== ref.numel * es) {
      throw new ModelLoadError(
        `Cannot load ${source}: ${record} is ${data.byteLength} bytes, its ${ref.numel}-element ` +
          `${ref.dtype} storage needs ${ref.numel * es}`,
      );
    }
    loaded.set(ref.key, bigEndian && es > 1 ? swapBytes(data, es) : data);
  }
  return collectStateDict(value, (ref) => loaded.get(ref.key)!, source);
}

function readLegacyCheckpoint(bytes: Uint8Array, source: string): WeightMap {
  const refuse = (what: string): ModelLoadError =>
    new ModelLoadError(`Cannot load ${source} (legacy torch format): ${what}`);
  const plain = { source, resolveGlobal: torchGlobals(source) };
  const magic = unpickle(bytes, plain);
  if (magic.value !== LEGACY_MAGIC) throw refuse("bad magic number; not a torch checkpoint");
  const proto = unpickle(bytes, { ...plain, start: magic.end });
  if (proto.value !== LEGACY_PROTOCOL) throw refuse(`protocol version ${String(proto.value)}`);
  const sys = unpickle(bytes, { ...plain, start: proto.end });
  if (sys.value instanceof Map && sys.value.get("little_endian") === false) {
    throw new UnsupportedModelError(`Cannot load ${source}: saved on a big-endian machine`);
  }
  const roots = new Map<string, { dtype: WeightDtype; numel: number }>();
  const main = unpickle(bytes, {
    ...plain,
    start: sys.end,
    build: torchBuild,
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length !== 6) {
        throw refuse(`unknown persistent id ${describe(pid)}`);
      }
      const type = asStorageType(pid[1], source);
      const key = String(pid[2]);
      const count = pid[4];
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
        throw refuse(`storage ${key} has a bad size`);
      }
      const root = roots.get(key) ?? { dtype: type.dtype, numel: count };
      roots.set(key, root);
      const view = pid[5];
      if (view === null) return { key, dtype: root.dtype, numel: root.numel, elementOffset: 0 };
      if (!Array.isArray(view) || typeof view[1] !== "number" || typeof view[2] !== "number") {
        throw refuse(`bad storage view of ${key}`);
      }
      if (view[1] + view[2] > root.numel) throw refuse(`storage view of ${key} runs past it`);
      return { key, dtype: root.dtype, numel: view[2], elementOffset: view[1] };
    },
  });
  const keys = unpickle(bytes, { ...plain, start: main.end });
  if (!Array.isArray(keys.value)) throw refuse("storage key list missing");
  const loaded = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const k of keys.value) {
    const key = String(k);
    const root = roots.get(key);
    if (!root) throw refuse(`storage ${key} is listed but never used`);
    if (at + 8 > bytes.byteLength) throw refuse(`truncated before storage ${key}`);
    const count = dv.getBigInt64(at, true);
    if (count !== BigInt(root.numel)) {
      throw refuse(`storage ${key} records ${count} elements, its tensors expect ${root.numel}`);
    }
    const n = root.numel * DTYPE_BYTES[root.dtype];
    if (at + 8 + n > bytes.byteLength) throw refuse(`truncated inside storage ${key}`);
    loaded.set(key, bytes.subarray(at + 8, at + 8 + n));
    at += 8 + n;
  }
  return collectStateDict(main.value, (ref) => {
    const data = loaded.get(ref.key);
    if (!data) throw refuse(`storage ${ref.key} has no data`);
    return data;
  }, source);
}
