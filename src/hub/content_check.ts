/**
 * Cheap checks that a downloaded (or cached) model file is what its name says, run before a
 * download enters the cache and whenever a cached file is used: an HTML error page, an empty
 * body or garbage under a model file's name is refused. JSON files must parse to an object or
 * array; ONNX files must walk as a ModelProto's top-level protobuf fields and hold a graph;
 * safetensors headers must be whole and describe exactly the bytes that follow; pytorch_model.bin
 * must be a zip archive (with its end record) or a legacy pickle; text files must be UTF-8.
 * Each check costs at most one pass over the header or the text, never a full decode of weights.
 * @module
 */

const JSON_NAME = /\.json$/i;
const TEXT_NAME = /\.(txt|md)$/i;

/**
 * Checks a model file's bytes against its name.
 * @param file Hub-relative path, e.g. "onnx/encoder_model.onnx"
 * @param bytes the whole file
 * @param contentType the response's Content-Type, when it came over HTTP
 * @returns what is wrong, or undefined when the content passes
 */
export function checkContent(
  file: string,
  bytes: Uint8Array,
  contentType: string | null = null,
): string | undefined {
  const name = file.slice(file.lastIndexOf("/") + 1);
  if (/\.html?$/i.test(name)) return undefined;
  if (bytes.length === 0) return `${file} is empty`;
  if (looksLikeHtml(bytes) || /^\s*text\/html\b/i.test(contentType ?? "")) {
    return `an HTML page, not ${file}`;
  }
  if (JSON_NAME.test(name)) return checkJson(file, bytes);
  if (TEXT_NAME.test(name)) {
    return utf8(bytes) === undefined ? `${file} is not UTF-8 text` : undefined;
  }
  if (/\.onnx$/i.test(name)) return checkOnnx(file, bytes);
  if (/\.safetensors$/i.test(name)) return checkSafetensors(file, bytes);
  if (/\.(bin|pt|pth)$/i.test(name)) return checkTorch(file, bytes);
  return undefined;
}

function looksLikeHtml(bytes: Uint8Array): boolean {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || (bytes[i] >= 0x09 && bytes[i] <= 0x0d))) i++;
  const head = new TextDecoder().decode(bytes.subarray(i, i + 15)).toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") ||
    head.startsWith("<head") || head.startsWith("<body") || head.startsWith("<!--");
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function checkJson(file: string, bytes: Uint8Array): string | undefined {
  const text = utf8(bytes);
  if (text === undefined) return `${file} is not UTF-8 text`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `${file} is not valid JSON (${(e as Error).message})`;
  }
  if (value === null || typeof value !== "object") {
    return `${file} holds a JSON ${value === null ? "null" : typeof value}, not an object`;
  }
  return undefined;
}

/** Wire types of ModelProto's fields (onnx.proto3); others are skipped as readers do. */
const MODEL_FIELDS: Record<number, number> = {
  1: 0, // ir_version
  2: 2, // producer_name
  3: 2, // producer_version
  4: 2, // domain
  5: 0, // model_version
  6: 2, // doc_string
  7: 2, // graph
  8: 2, // opset_import
  14: 2, // metadata_props
  20: 2, // training_info
  21: 2, // functions
  25: 2, // configuration
};

/**
 * Walks the top-level protobuf fields of an ONNX ModelProto.
 * @param file for messages
 * @param bytes the file
 * @returns a problem, or undefined
 */
function checkOnnx(file: string, bytes: Uint8Array): string | undefined {
  const bad = (what: string): string => `${file} is not an ONNX model (${what})`;
  let at = 0;
  let graph = false;
  const varint = (): number | undefined => {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= bytes.length) return undefined;
      const b = bytes[at++];
      if (shift < 53) v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const start = at;
    const tag = varint();
    if (tag === undefined) return bad(`truncated field tag at byte ${start}`);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0 || wire === 3 || wire === 4 || wire > 5) {
      return bad(`invalid protobuf field tag 0x${tag.toString(16)} at byte ${start}`);
    }
    const want = MODEL_FIELDS[field];
    if (want !== undefined && want !== wire) {
      return bad(`field ${field} has wire type ${wire} at byte ${start}`);
    }
    if (wire === 0) {
      if (varint() === undefined) return bad(`truncated varint at byte ${start}`);
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else {
      const n = varint();
      if (n === undefined) return bad(`truncated length at byte ${start}`);
      at += n;
    }
    if (at > bytes.length) {
      return bad(`field ${field} at byte ${start} runs past the end (${bytes.length} bytes)`);
    }
    if (field === 7) graph = true;
  }
  return graph ? undefined : bad("no graph");
}

const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/**
 * Checks a safetensors header: its length, its JSON, and that the tensors tile the data
 * exactly (the safetensors crate's own validation).
 * @param file for messages
 * @param bytes the file
 * @returns a problem, or undefined
 */
function checkSafetensors(file: string, bytes: Uint8Array): string | undefined {
  const bad = (what: string): string => `${file} is not a safetensors file (${what})`;
  if (bytes.length < 8) return bad(`${bytes.length} bytes`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(bytes.length - 8)) {
    return bad(`header length ${n} does not fit in ${bytes.length} bytes`);
  }
  const text = utf8(bytes.subarray(8, 8 + Number(n)));
  if (text === undefined) return bad("header is not UTF-8");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return bad(`header is not JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    return bad("header is not an object");
  }
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offs = t?.data_offsets;
    const shape = t?.shape;
    if (
      typeof t !== "object" || t === null || !Array.isArray(offs) || offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1] ||
      !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      return bad(`tensor ${name} has no valid dtype, shape and data_offsets`);
    }
    const es = DTYPE_BYTES[String(t.dtype)];
    if (es !== undefined) {
      const need = (shape as number[]).reduce((a, d) => a * d, 1) * es;
      if (need !== offs[1] - offs[0]) {
        return bad(`tensor ${name} needs ${need} bytes, its offsets span ${offs[1] - offs[0]}`);
      }
    }
    spans.push([offs[0], offs[1], name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [s, e, name] of spans) {
    if (s !== end) return bad(`tensor ${name} starts at ${s}, expected ${end}`);
    end = e;
  }
  const data = bytes.length - 8 - Number(n);
  if (end !== data) return bad(`tensors cover ${end} bytes, the file holds ${data}`);
  return undefined;
}

/**
 * Checks a torch checkpoint's framing: a zip with its end-of-central-directory record, or a
 * legacy pickle (protocol 2+).
 * @param file for messages
 * @param bytes the file
 * @returns a problem, or undefined
 */
function checkTorch(file: string, bytes: Uint8Array): string | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 22 && dv.getUint32(0, true) === 0x04034b50) {
    for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
      if (dv.getUint32(at, true) === 0x06054b50) return undefined;
    }
    return `${file} is a truncated zip archive (no end-of-central-directory record)`;
  }
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return undefined;
  return `${file} is neither a zip nor a pickle torch checkpoint`;
}
