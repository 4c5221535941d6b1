/**
 * The tensor record every checkpoint reader returns: a dtype name as safetensors spells it, a
 * shape, and the raw little-endian bytes (a view into the file wherever the layout allows).
 * Conversions to and from float32 are exact for every float16 / bfloat16 value.
 * @module
 */
import { f16BitsToNumber, f32BitsToBf16Bits, f32BitsToF16Bits } from "./float16.ts";

/** Element types of checkpoint tensors, named as in safetensors headers. */
export type WeightDtype =
  | "F32"
  | "F16"
  | "BF16"
  | "F64"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U8"
  | "BOOL";

/** One named tensor of a checkpoint. */
export interface WeightTensor {
  /** Element type. */
  dtype: WeightDtype;
  /** Dimensions, outermost first; [] is a scalar. */
  shape: number[];
  /** Raw little-endian bytes in row-major (contiguous) order; may be a view into a larger file. */
  data: Uint8Array;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<WeightDtype, number>> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * Whether a string names a supported dtype.
 * @param s candidate name, e.g. from a safetensors header
 * @returns true for one of the WeightDtype names
 */
export function isWeightDtype(s: unknown): s is WeightDtype {
  return typeof s === "string" && Object.hasOwn(DTYPE_BYTES, s);
}

/**
 * Number of elements of a shape (1 for a scalar).
 * @param shape dimensions
 * @returns their product
 */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Formats a shape the way error messages show it: `[32, 96]`.
 * @param shape dimensions
 * @returns the bracketed list
 */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function isHostLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Copies `bytes` into a fresh, aligned buffer. */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out.buffer;
}

/**
 * Converts a tensor's values to float32: exact for F32, F16 and BF16 (and for integers up to
 * 2^24); F64 and wider integers round to nearest float32; BOOL gives 0 or 1.
 * @param t the tensor
 * @returns a new Float32Array of numel(t.shape) values (never shares memory with t.data)
 * @example
 * ```ts
 * import { toFloat32 } from "./weight_tensor.ts";
 * toFloat32({ dtype: "F16", shape: [1], data: new Uint8Array([0x00, 0x3c]) }); // [1]
 * ```
 */
export function toFloat32(t: WeightTensor): Float32Array {
  const n = numel(t.shape);
  const size = DTYPE_BYTES[t.dtype];
  if (size === undefined) throw new TypeError(`toFloat32: unknown dtype ${String(t.dtype)}`);
  if (t.data.byteLength !== n * size) {
    throw new RangeError(
      `toFloat32: ${t.dtype} tensor of shape ${formatShape(t.shape)} needs ${n * size} bytes, ` +
        `has ${t.data.byteLength}`,
    );
  }
  const out = new Float32Array(n);
  const le = isHostLittleEndian();
  const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case "F32":
      if (le) out.set(new Float32Array(alignedCopy(t.data)));
      else for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      break;
    case "F16": {
      const table = f16Table();
      for (let i = 0; i < n; i++) out[i] = table[dv.getUint16(2 * i, true)];
      break;
    }
    case "BF16": {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      if (!le) { for (let i = 0; i < n; i++) out[i] = bitsToF32(bits[i]); }
      break;
    }
    case "F64":
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      break;
    case "I64":
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      break;
    case "I32":
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      break;
    case "I16":
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      break;
    case "I8":
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      break;
    case "U8":
      for (let i = 0; i < n; i++) out[i] = t.data[i];
      break;
    case "BOOL":
      for (let i = 0; i < n; i++) out[i] = t.data[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

let f16Values: Float32Array | undefined;

/** All 65536 binary16 values as float32, built on first use. */
function f16Table(): Float32Array {
  if (!f16Values) {
    f16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Values[h] = f16BitsToNumber(h);
  }
  return f16Values;
}

function bitsToF32(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/**
 * Builds a tensor from float32 values, narrowing to F16 / BF16 with round-to-nearest-even
 * (torch's `.half()` / `.bfloat16()`), or widening exactly to F64.
 * @param values row-major values; NaN sign bits are kept
 * @param shape dimensions; their product must equal values.length
 * @param dtype "F32" (default), "F16", "BF16" or "F64"
 * @returns a tensor owning fresh bytes
 * @example
 * ```ts
 * import { fromFloat32 } from "./weight_tensor.ts";
 * fromFloat32(new Float32Array([1, 2]), [2], "F16").data; // [0x00, 0x3c, 0x00, 0x40]
 * ```
 */
export function fromFloat32(
  values: Float32Array,
  shape: readonly number[],
  dtype: "F32" | "F16" | "BF16" | "F64" = "F32",
): WeightTensor {
  const n = numel(shape);
  if (n !== values.length) {
    throw new RangeError(
      `fromFloat32: shape ${formatShape(shape)} holds ${n} values, got ${values.length}`,
    );
  }
  // Read bit patterns from the array's own memory so NaN signs survive.
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const size = DTYPE_BYTES[dtype];
  const data = new Uint8Array(n * size);
  const dv = new DataView(data.buffer);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < n; i++) dv.setUint32(4 * i, bits[i], true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32BitsToF16Bits(bits[i]), true);
      break;
    case "BF16":
      for (let i = 0; i < n; i++) dv.setUint16(2 * i, f32BitsToBf16Bits(bits[i]), true);
      break;
    case "F64":
      for (let i = 0; i < n; i++) dv.setFloat64(8 * i, values[i], true);
      break;
    default:
      throw new TypeError(`fromFloat32: cannot make ${String(dtype)}; use F32, F16, BF16 or F64`);
  }
  return { dtype, shape: [...shape], data };
}
