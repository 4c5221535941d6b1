/**
 * Test support for the graph transformations (imported only by `*_test.ts` files): runs model
 * bytes on onnxruntime-web with one thread, makes seeded inputs, compares outputs. Library code
 * never imports this file; src/runtime owns the real sessions.
 * @module
 */

import * as ort from "onnxruntime-web";

/** A feed or result tensor, as onnxruntime-web holds it. */
export type OrtTensor = ort.Tensor;

/** Numeric data a test tensor can hold. */
export type TestData = Float32Array | BigInt64Array | Uint8Array;

/**
 * Runs a model once (a fresh session; one wasm thread).
 * @param bytes the `.onnx` bytes
 * @param feeds input name -> tensor
 * @returns output name -> tensor
 */
export async function runModel(
  bytes: Uint8Array,
  feeds: Record<string, OrtTensor>,
): Promise<Record<string, OrtTensor>> {
  const session = await createSession(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/**
 * Creates a single-threaded wasm session.
 * @param bytes the `.onnx` bytes
 * @returns the session
 */
export function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
}

/**
 * A float32 tensor of seeded pseudo-random values in [-1, 1).
 * @param dims its shape
 * @param seed seed of the generator
 * @returns the tensor
 */
export function randomFloats(dims: number[], seed: number): OrtTensor {
  let s = seed >>> 0 || 1;
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return new ort.Tensor("float32", data, dims);
}

/**
 * An int64 tensor.
 * @param values the values, row-major
 * @param dims its shape
 * @returns the tensor
 */
export function int64Tensor(values: number[], dims: number[]): OrtTensor {
  return new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);
}

/**
 * A bool tensor of shape [1].
 * @param value the value
 * @returns the tensor
 */
export function boolScalar(value: boolean): OrtTensor {
  return new ort.Tensor("bool", new Uint8Array([value ? 1 : 0]), [1]);
}

/**
 * Selects rows (along axis 0) of a float32 tensor.
 * @param t the tensor
 * @param rows row indices
 * @returns a new tensor of `rows.length` rows
 */
export function selectRows(t: OrtTensor, rows: number[]): OrtTensor {
  const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const src = t.data as Float32Array;
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize));
  return new ort.Tensor("float32", out, [rows.length, ...t.dims.slice(1)]);
}

/** The one maxAbsDiff of the test support (shapes must agree). */
export { maxAbsDiff } from "../../tests/support/goldens.ts";

/** Sizes of seeded decoder feeds. */
export interface DecoderFeedSizes {
  /** Rows (sequences) of the step. */
  rows: number;
  /** New tokens per row. */
  seq: number;
  /** Cached positions per row. */
  past: number;
  /** Encoder positions. */
  encSeq: number;
  /** Encoder hidden size. */
  hidden: number;
  /** Images: encoder states (and encoder caches) have this many rows, tiled to `rows`. */
  images?: number;
}

/**
 * Seeded feeds for the fixture decoders' inputs (input_ids, encoder_hidden_states,
 * past_key_values.*), with per-image encoder tensors repeated over each image's rows.
 * @param names the decoder's input names
 * @param s sizes
 * @returns the feeds (row-major, image-major rows), and the per-image encoder states
 */
export function decoderFeeds(
  names: readonly string[],
  s: DecoderFeedSizes,
): { feeds: Record<string, OrtTensor>; perImage: Record<string, OrtTensor> } {
  const images = s.images ?? s.rows;
  const rowImage = Array.from({ length: s.rows }, (_, r) => Math.floor(r * images / s.rows));
  const feeds: Record<string, OrtTensor> = {};
  const perImage: Record<string, OrtTensor> = {};
  names.forEach((name, i) => {
    if (name === "input_ids") {
      const ids = Array.from({ length: s.rows * s.seq }, (_, j) => (j * 37 + 3) % 300);
      feeds[name] = int64Tensor(ids, [s.rows, s.seq]);
    } else if (name === "encoder_hidden_states" || name.includes(".encoder.")) {
      const dims = name === "encoder_hidden_states"
        ? [images, s.encSeq, s.hidden]
        : [images, 4, s.encSeq, 8];
      perImage[name] = randomFloats(dims, 100 + i);
      feeds[name] = selectRows(perImage[name], rowImage);
    } else if (name.startsWith("past_key_values")) {
      feeds[name] = randomFloats([s.rows, 4, s.past, 8], 200 + i);
    }
  });
  return { feeds, perImage };
}
