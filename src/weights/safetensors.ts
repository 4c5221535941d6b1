/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then
 * the tensors' bytes. Reading validates everything the Rust crate validates (and names the
 * tensor at fault); writing reproduces the crate's layout byte for byte.
 * @module
 */
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import type { WeightMap } from "./weight_map.ts";
import {
  DTYPE_BYTES,
  formatShape,
  isWeightDtype,
  numel,
  type WeightDtype,
  type WeightTensor,
} from "./weight_tensor.ts";

/** The crate refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

/** Valid safetensors dtypes vedge cannot represent (refused as unsupported, not as corrupt). */
const UNSUPPORTED_DTYPES = new Set(["U16", "U32", "U64", "F8_E5M2", "F8_E4M3", "C64"]);

/**
 * Element types in the crate's `Dtype` enum order (increasing alignment); the writer sorts
 * tensors by this, descending, then by name.
 */
const CRATE_DTYPE_ORDER: readonly WeightDtype[] = [
  "BOOL",
  "U8",
  "I8",
  "I16",
  "F16",
  "BF16",
  "I32",
  "F32",
  "F64",
  "I64",
];

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Tensors in file (data offset) order; `data` are views into the input bytes. */
  tensors: WeightMap;
  /** The `__metadata__` map (e.g. `{format: "pt"}`), or null when the header has none. */
  metadata: Record<string, string> | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses a safetensors file without copying tensor data.
 * @param bytes the whole file
 * @param source the file's name for messages, e.g. `model.safetensors from ./m`
 * @returns the tensors (views into `bytes`) and the metadata
 * @throws ModelLoadError for truncated files, bad JSON, offsets out of range, overlapping or not
 *   matching dtype x shape; UnsupportedModelError for valid dtypes vedge cannot hold (U16, F8...)
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const file = writeSafetensors(new Map([["w", { dtype: "U8", shape: [1], data: new Uint8Array([7]) }]]));
 * readSafetensors(file).tensors.get("w")?.data; // [7]
 * ```
 */
export function readSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsFile {
  const fail = (what: string): ModelLoadError =>
    new ModelLoadError(`Cannot load ${source}: ${what}`);
  if (bytes.byteLength < 8) {
    throw fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8)) {
    throw fail(`header length ${n64} runs past the end of the file (${bytes.byteLength} bytes)`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) throw fail(`header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new ModelLoadError(
      `Cannot load ${source}: header is not valid UTF-8 JSON (${(e as Error).message})`,
      { cause: e },
    );
  }
  if (!isRecord(header)) throw fail("header is not a JSON object");
  const data = bytes.subarray(8 + n);
  let metadata: Record<string, string> | null = null;
  const entries: {
    name: string;
    dtype: WeightDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isRecord(info) || !Object.values(info).every((v) => typeof v === "string")) {
        throw fail(`__metadata__ must map strings to strings, found ${JSON.stringify(info)}`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isRecord(info)) throw fail(`entry ${name} is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (!isWeightDtype(dtype)) {
      if (typeof dtype === "string" && UNSUPPORTED_DTYPES.has(dtype)) {
        throw new UnsupportedModelError(
          `Cannot load ${source}: tensor ${name} has dtype ${dtype}, which vedge does not support`,
        );
      }
      throw fail(`tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw fail(`tensor ${name} has invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) ||
      !isCount(offsets[1]) || offsets[1] < offsets[0]
    ) {
      throw fail(`tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > data.byteLength) {
      throw fail(
        `tensor ${name} data_offsets [${begin}, ${end}] run past the end of the data ` +
          `(${data.byteLength} bytes after the header; file truncated?)`,
      );
    }
    const expected = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw fail(
        `tensor ${name} is ${dtype} ${formatShape(shape)} (${expected} bytes) but its ` +
          `data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  const tensors: WeightMap = new Map();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.begin < at) {
      throw fail(`tensor ${e.name} [${e.begin}, ${e.end}] overlaps ${entries[i - 1].name}`);
    }
    if (e.begin > at) {
      throw fail(`bytes [${at}, ${e.begin}) before tensor ${e.name} belong to no tensor`);
    }
    at = e.end;
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: data.subarray(e.begin, e.end) });
  }
  if (at !== data.byteLength) {
    throw fail(`the last ${data.byteLength - at} bytes of the data belong to no tensor`);
  }
  return { tensors, metadata };
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /**
   * "crate" (default): the order the safetensors library writes (descending dtype alignment,
   * then name by code point), `__metadata__` first. "insertion": the map's order, for writers
   * that kept a model's state_dict order.
   */
  order?: "crate" | "insertion";
  /** Where `__metadata__` goes in the header: "first" (the crate; default) or "last". */
  metadataPosition?: "first" | "last";
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * Serialises tensors as a safetensors file, as the safetensors library (Rust crate 0.3+, which the
 * Python `save_file` calls) does: compact JSON header padded with spaces to a multiple of 8 bytes.
 * @param map tensors by name; each `data` must hold exactly numel(shape) x dtype bytes
 * @param metadata the `__metadata__` strings (transformers writes `{format: "pt"}`); null for none
 * @param options tensor order and metadata position (defaults: the crate's)
 * @returns the file's bytes
 */
export function writeSafetensors(
  map: ReadonlyMap<string, WeightTensor>,
  metadata: Record<string, string> | null = null,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const items = [...map];
  for (const [name, t] of items) {
    if (!isWeightDtype(t.dtype)) {
      throw new TypeError(`writeSafetensors: ${name} has dtype ${t.dtype}`);
    }
    const expected = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== expected) {
      throw new RangeError(
        `writeSafetensors: ${name} is ${t.dtype} ${formatShape(t.shape)} (${expected} bytes) ` +
          `but holds ${t.data.byteLength} bytes`,
      );
    }
  }
  if ((options.order ?? "crate") === "crate") {
    const rank = (d: WeightDtype): number => CRATE_DTYPE_ORDER.indexOf(d);
    items.sort(([an, a], [bn, b]) => rank(b.dtype) - rank(a.dtype) || compareCodePoints(an, bn));
  }
  const parts: string[] = [];
  let offset = 0;
  for (const [name, t] of items) {
    const end = offset + t.data.byteLength;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],` +
        `"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  if (metadata) {
    const body = Object.entries(metadata).map(([k, v]) => {
      if (typeof v !== "string") {
        throw new TypeError(`writeSafetensors: metadata ${k} is not a string`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    }).join(",");
    const entry = `"__metadata__":{${body}}`;
    if ((options.metadataPosition ?? "first") === "first") parts.unshift(entry);
    else parts.push(entry);
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`);
  const pad = (8 - (header.byteLength % 8)) % 8;
  if (pad) {
    const padded = new Uint8Array(header.byteLength + pad).fill(0x20);
    padded.set(header);
    header = padded;
  }
  const out = new Uint8Array(8 + header.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const [, t] of items) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}
