/**
 * How many bytes vedge reads from one file, by kind: the one table of read limits. A file (or a
 * download) past its kind's limit is refused before it is read whole, so a symlink to
 * /dev/zero, an endless HTTP body or a zip bomb cannot grow memory without bound. Callers pass
 * overrides as `readLimits` options (`{json: 1 << 20}`); the defaults are generous for real
 * models and images.
 * @module
 */
import { VedgeError } from "../errors.ts";

/** What a file holds, as far as size limits are concerned. */
export type FileKind = "image" | "json" | "tokenizer" | "onnx" | "weights" | "other";

/** Per-kind byte limits; a partial table overrides the defaults. */
export type ReadLimits = Partial<Record<FileKind, number>>;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The defaults. Images: 256 MiB (PIL's pixel limit, not the file size, bounds decoding).
 * Configs and other JSON: 16 MiB. Tokenizer files (tokenizer.json of large vocabularies is tens
 * of MB): 128 MiB. ONNX graphs: 2 GiB, protobuf's own ceiling (larger models keep weights in
 * external data files). Weights (safetensors, pytorch_model.bin, ONNX external data): 64 GiB;
 * their real bound is their declared size (stat, Content-Length, X-Linked-Size, the archive's
 * directory). Anything else: 1 GiB.
 */
export const DEFAULT_READ_LIMITS: Readonly<Record<FileKind, number>> = Object.freeze({
  image: 256 * MiB,
  json: 16 * MiB,
  tokenizer: 128 * MiB,
  onnx: 2 * GiB,
  weights: 64 * GiB,
  other: 1 * GiB,
});

const KINDS = Object.keys(DEFAULT_READ_LIMITS) as FileKind[];

/**
 * Checks a `readLimits` option: known kinds, whole non-negative byte counts.
 * @param limits the overrides, or undefined
 * @returns the full table
 */
export function readLimitTable(limits?: ReadLimits): Readonly<Record<FileKind, number>> {
  if (limits === undefined) return DEFAULT_READ_LIMITS;
  if (typeof limits !== "object" || limits === null) {
    throw new TypeError(`readLimits must be an object of byte counts, got ${String(limits)}`);
  }
  const out = { ...DEFAULT_READ_LIMITS };
  for (const [k, v] of Object.entries(limits)) {
    if (!KINDS.includes(k as FileKind)) {
      throw new TypeError(`readLimits: unknown file kind "${k}" (known: ${KINDS.join(", ")})`);
    }
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`readLimits.${k} must be a whole number of bytes >= 0, got ${v}`);
    }
    out[k as FileKind] = v;
  }
  return out;
}

const TOKENIZER_FILES = new Set([
  "tokenizer.json",
  "vocab.json",
  "vocab.txt",
  "merges.txt",
  "sentencepiece.bpe.model",
  "spiece.model",
  "tokenizer.model",
  "source.spm",
  "target.spm",
]);

/**
 * The kind of a model file, from its Hub-relative name.
 * @param path e.g. "config.json", "onnx/encoder_model.onnx", "model-00001-of-00002.safetensors"
 * @returns its kind
 */
export function fileKindOf(path: string): FileKind {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  if (TOKENIZER_FILES.has(name) || name.endsWith(".spm") || name.endsWith(".tiktoken")) {
    return "tokenizer";
  }
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".onnx")) return "onnx";
  if (
    /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx_data|onnx\.data)$/.test(name) ||
    /\.onnx_data_\d+$/.test(name)
  ) return "weights";
  if (/\.(png|jpe?g|webp|gif|bmp|tiff?)$/.test(name)) return "image";
  return "other";
}

/** A path is something other than a regular file (a FIFO, a device, a folder, a socket). */
export class NotAFileError extends VedgeError {
  /** @param message names the path and what it is @param options cause */
  constructor(message: string, options?: ErrorOptions) {
    super("NOT_A_FILE", message, options);
  }
}

/** A file or download is larger than the limit for its kind. */
export class FileTooLargeError extends VedgeError {
  /** @param message names the file, its size and the limit @param options cause */
  constructor(message: string, options?: ErrorOptions) {
    super("FILE_TOO_LARGE", message, options);
  }
}

/**
 * A byte count for messages: "12 bytes", "3.1 MiB".
 * @param n bytes
 * @returns the text
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024, i++);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]} (${n} bytes)`;
}

/** What a path is, as FileInfo's `type` names it, in words for messages. */
export const FILE_TYPE_WORDS: Readonly<Record<string, string>> = {
  file: "a regular file",
  directory: "a folder",
  fifo: "a FIFO (named pipe)",
  "char-device": "a character device",
  "block-device": "a block device",
  socket: "a socket",
  other: "not a regular file",
};
