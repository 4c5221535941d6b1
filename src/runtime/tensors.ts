/**
 * Small tensor helpers over onnxruntime-web: building feeds, taking the last position of logits,
 * gathering cache rows.
 * @module
 */
import type { FloatTensor } from "../tensor.ts";
import type { Ort, OrtTensor } from "./ort.ts";

/**
 * An int64 tensor of token ids, one row per sequence.
 * @param ort the runtime
 * @param rows equal-length rows of ids
 * @returns tensor [rows, n]
 */
export function idsTensor(ort: Ort, rows: readonly (ArrayLike<number>)[]): OrtTensor {
  const n = rows.length ? rows[0].length : 0;
  const data = new BigInt64Array(rows.length * n);
  rows.forEach((r, i) => {
    if (r.length !== n) {
      throw new RangeError(`all rows must have ${n} ids, row ${i} has ${r.length}`);
    }
    for (let j = 0; j < n; j++) data[i * n + j] = BigInt(r[j]);
  });
  return new ort.Tensor("int64", data, [rows.length, n]);
}

/**
 * A float32 tensor from a FloatTensor (no copy).
 * @param ort the runtime
 * @param t the tensor
 * @returns the onnxruntime tensor
 */
export function floatTensor(ort: Ort, t: FloatTensor): OrtTensor {
  return new ort.Tensor("float32", t.data, t.dims);
}

/**
 * The data of a CPU float32 tensor.
 * @param t an onnxruntime tensor in CPU memory
 * @returns its Float32Array
 */
export function cpuData(t: OrtTensor): Float32Array {
  if (t.location !== "cpu" || !(t.data instanceof Float32Array)) {
    throw new TypeError(`expected a float32 CPU tensor, got ${t.type} on ${t.location}`);
  }
  return t.data;
}

/**
 * Logits of the last position of each row.
 * @param logits tensor [rows, n, vocab]
 * @returns row-major [rows, vocab]
 */
export function lastPosition(logits: OrtTensor): Float32Array {
  const [rows, n, vocab] = logits.dims;
  const data = cpuData(logits);
  if (n === 1) return data.slice(0, rows * vocab);
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    out.set(data.subarray((r * n + n - 1) * vocab, (r * n + n) * vocab), r * vocab);
  }
  return out;
}

/**
 * Rows of a tensor along its first axis: row i of the result is row `rows[i]` of `t`.
 * @param ort the runtime
 * @param t a CPU float32 tensor [R, ...]
 * @param rows source row of each result row
 * @returns tensor [rows.length, ...]
 */
export function gatherRows(ort: Ort, t: OrtTensor, rows: ArrayLike<number>): OrtTensor {
  const data = cpuData(t);
  const [count, ...rest] = t.dims;
  const size = count ? data.length / count : 0;
  const out = new Float32Array(rows.length * size);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < count)) throw new RangeError(`row ${r} out of range [0, ${count})`);
    out.set(data.subarray(r * size, (r + 1) * size), i * size);
  }
  return new ort.Tensor("float32", out, [rows.length, ...rest]);
}

/**
 * An empty float32 tensor with a zero-length axis (an empty past).
 * @param ort the runtime
 * @param dims the shape, one entry 0
 * @returns the tensor
 */
export function emptyTensor(ort: Ort, dims: number[]): OrtTensor {
  return new ort.Tensor("float32", new Float32Array(0), dims);
}
