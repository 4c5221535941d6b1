/**
 * Decoder state on the GPU (WebGPU backend): what crosses between GPU and CPU at each decode step,
 * and the tiny graphs that move cache rows without leaving the GPU.
 *
 * On WebGPU the decoder graphs are created with their outputs on the GPU
 * (`preferredOutputLocation: "gpu-buffer"`): self-attention K/V (`present.*`) and cross-attention
 * K/V are fed back as inputs without a round trip; only the logits are downloaded
 * ({@link readLogits}). Beam reordering and widening per-image tensors to rows run a Gather graph
 * on the GPU ({@link gatherRowsOnDevice}). CPU-located feeds (token ids, the merged graph's
 * branch flag) are uploaded by onnxruntime at each run; {@link hostBytes} counts them.
 *
 * On WASM everything stays in CPU memory: nothing is counted and rows are gathered in JS.
 * @module
 */
import { GraphBuilder } from "../graph/builder.ts";
import type { Backend } from "./backend.ts";
import { GraphSession } from "./graph_session.ts";
import type { Ort, OrtTensor } from "./ort.ts";
import { cpuRowTensors, type RowTensors } from "./row_cache.ts";
import { cpuData, gatherRows } from "./tensors.ts";

const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  float16: 2,
  int64: 8,
  uint64: 8,
  int32: 4,
  uint32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/**
 * Size of a tensor's data in bytes.
 * @param t any onnxruntime tensor
 * @returns elements times element size
 */
export function tensorBytes(t: OrtTensor): number {
  const n = t.dims.reduce((a, b) => a * b, 1);
  return n * (ELEMENT_BYTES[t.type] ?? 4);
}

/**
 * Whether a backend keeps decoder state on the GPU.
 * @param backend the backend
 * @returns true on WebGPU
 */
export function onDevice(backend: Backend): boolean {
  return backend.device === "webgpu";
}

/**
 * Bytes of the CPU-located tensors among a run's feeds: on WebGPU onnxruntime uploads each.
 * @param backend the backend (0 on WASM: nothing crosses)
 * @param feeds the run's feeds
 * @returns bytes copied CPU -> GPU by the run
 */
export function hostBytes(backend: Backend, feeds: Record<string, OrtTensor>): number {
  if (!onDevice(backend)) return 0;
  let n = 0;
  for (const t of Object.values(feeds)) if (t.location === "cpu") n += tensorBytes(t);
  return n;
}

/**
 * The last position's logits of every row in CPU memory, downloading (and freeing) a GPU tensor.
 * @param logits [rows, n, vocab], on the CPU or the GPU
 * @returns row-major [rows, vocab] and the bytes downloaded (0 for a CPU tensor)
 */
export async function readLogits(
  logits: OrtTensor,
): Promise<{ all: Float32Array; last: Float32Array; bytes: number }> {
  let all: Float32Array;
  let bytes = 0;
  if (logits.location === "gpu-buffer") {
    bytes = tensorBytes(logits);
    all = await logits.getData(true) as Float32Array;
  } else all = cpuData(logits);
  const [rows, n, vocab] = logits.dims;
  if (n === 1) return { all, last: all.slice(0, rows * vocab), bytes };
  const last = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) {
    last.set(all.subarray((r * n + n - 1) * vocab, (r * n + n) * vocab), r * vocab);
  }
  return { all, last, bytes };
}

/**
 * Frees the GPU tensors of a run's outputs except those named.
 * @param outputs the run's outputs
 * @param keep outputs the caller holds on to
 */
export function disposeExcept(outputs: Record<string, OrtTensor>, keep: Iterable<string>): void {
  const kept = new Set(keep);
  for (const [name, t] of Object.entries(outputs)) {
    if (!kept.has(name) && t.location === "gpu-buffer") t.dispose();
  }
}

/**
 * Frees GPU tensors (CPU ones are left to the garbage collector).
 * @param tensors the tensors
 */
export function disposeAll(tensors: Iterable<OrtTensor | null | undefined>): void {
  for (const t of tensors) if (t && t.location === "gpu-buffer") t.dispose();
}

/** Gather graphs per onnxruntime instance, per list of input ranks. */
const gatherGraphs = new WeakMap<object, Map<string, Promise<GraphSession>>>();

/**
 * The Gather graph for tensors of these ranks: `x{i}` [R, ...] and `rows` int64 [N] ->
 * `y{i}` [N, ...] = x{i}[rows], outputs on the GPU.
 */
function gatherGraph(backend: Backend, ranks: readonly number[]): Promise<GraphSession> {
  let graphs = gatherGraphs.get(backend.ort);
  if (!graphs) gatherGraphs.set(backend.ort, graphs = new Map());
  const key = ranks.join(",");
  let g = graphs.get(key);
  if (!g) {
    const b = new GraphBuilder({ name: "vedge_gather_rows" });
    const rows = b.input("rows", "int64", ["n"]);
    ranks.forEach((rank, i) => {
      const dims = Array.from({ length: rank }, (_, d) => `d${d}`);
      const x = b.input(`x${i}`, "float32", dims);
      b.output(`y${i}`, b.gather(x, rows, 0), "float32", ["n", ...dims.slice(1)]);
    });
    g = GraphSession.create(backend, b.toBytes(), `row gather (${key})`, { outputsOnGpu: true });
    g.catch(() => graphs!.delete(key));
    graphs.set(key, g);
  }
  return g;
}

/**
 * Rows of several tensors along their first axis, on the GPU when the backend is WebGPU (the
 * inputs may be CPU or GPU tensors; the results are GPU tensors), in JS on WASM.
 * @param backend the backend
 * @param tensors float32 tensors [R, ...]
 * @param rows source row of each result row
 * @returns the gathered tensors and the bytes uploaded (the row indices, and any CPU input)
 */
export async function gatherRowsOnDevice(
  backend: Backend,
  tensors: readonly OrtTensor[],
  rows: ArrayLike<number>,
): Promise<{ tensors: OrtTensor[]; bytes: number }> {
  for (const t of tensors) {
    for (let i = 0; i < rows.length; i++) {
      if (!(rows[i] >= 0 && rows[i] < t.dims[0])) {
        throw new RangeError(`row ${rows[i]} out of range [0, ${t.dims[0]})`);
      }
    }
  }
  if (!onDevice(backend) || tensors.length === 0) {
    return { tensors: tensors.map((t) => gatherRows(backend.ort, t, rows)), bytes: 0 };
  }
  const session = await gatherGraph(backend, tensors.map((t) => t.dims.length));
  const feeds: Record<string, OrtTensor> = { rows: rowsTensor(backend.ort, rows) };
  tensors.forEach((t, i) => (feeds[`x${i}`] = t));
  const out = await session.run(feeds);
  return { tensors: tensors.map((_, i) => out[`y${i}`]), bytes: hostBytes(backend, feeds) };
}

/**
 * A GPU copy of a tensor (WebGPU): uploaded once, then fed to any number of runs.
 * @param backend a WebGPU backend
 * @param t the tensor [R, ...]
 * @returns the GPU tensor and the bytes uploaded
 */
export async function uploadOnce(
  backend: Backend,
  t: OrtTensor,
): Promise<{ tensor: OrtTensor; bytes: number }> {
  const identity = Array.from({ length: t.dims[0] }, (_, i) => i);
  const g = await gatherRowsOnDevice(backend, [t], identity);
  return { tensor: g.tensors[0], bytes: g.bytes };
}

/**
 * Per-image tensors widened to rows on the GPU (WebGPU): the encoder states (when the step reads
 * them per row) and the cross-attention K/V, gathered by each row's image.
 * @param backend a WebGPU backend
 * @param parts the tensors to widen (enc null: not widened) and each row's image
 * @returns the widened tensors (null where none), those made here (the caller frees them), the
 *   bytes uploaded (row indices) and the bytes copied on the GPU
 */
export async function widenOnDevice(
  backend: Backend,
  parts: { enc: OrtTensor | null; cross: readonly OrtTensor[]; rowImage: Int32Array },
): Promise<
  {
    enc: OrtTensor | null;
    cross: OrtTensor[] | null;
    owned: OrtTensor[];
    bytes: number;
    copied: number;
  }
> {
  const { enc, cross, rowImage } = parts;
  const [e, c] = await Promise.all([
    enc ? gatherRowsOnDevice(backend, [enc], rowImage) : null,
    cross.length ? gatherRowsOnDevice(backend, cross, rowImage) : null,
  ]);
  const owned = [...e?.tensors ?? [], ...c?.tensors ?? []];
  return {
    enc: e ? e.tensors[0] : null,
    cross: c ? c.tensors : null,
    owned,
    bytes: (e?.bytes ?? 0) + (c?.bytes ?? 0),
    copied: owned.reduce((n, t) => n + tensorBytes(t), 0),
  };
}

function rowsTensor(ort: Ort, rows: ArrayLike<number>): OrtTensor {
  return new ort.Tensor("int64", BigInt64Array.from(Array.from(rows, BigInt)), [rows.length]);
}

/** Bytes copied between GPU and CPU by decode steps. */
export interface TransferStats {
  /** All bytes copied CPU -> GPU or GPU -> CPU by decoder runs (0 on WASM). */
  hostBytes: number;
  /**
   * Bytes copied per decode step, most recent last (at most {@link STEP_LOG}; concurrent
   * generations interleave). Entry = uploads of the step's feeds and of any row reordering
   * before it, plus the logits download.
   */
  hostBytesPerStep: number[];
}

/** How many per-step entries {@link TransferStats.hostBytesPerStep} keeps. */
export const STEP_LOG = 256;

/**
 * Adds one step's bytes to the counters.
 * @param stats the decoder's counters
 * @param bytes the step's bytes
 */
export function logStepBytes(stats: TransferStats, bytes: number): void {
  stats.hostBytes += bytes;
  stats.hostBytesPerStep.push(bytes);
  if (stats.hostBytesPerStep.length > STEP_LOG) stats.hostBytesPerStep.shift();
}

/**
 * The row operations of a stepper's {@link RowCache}: on WebGPU a Gather graph on the GPU (the
 * row indices are uploaded, the K/V never leave the GPU) and GPU buffers disposed on release;
 * on WASM the CPU ones.
 * @param backend the backend
 * @param onBytes told the bytes each gather uploads (to count them with the next step)
 * @returns the row operations
 */
export function rowTensorsFor(backend: Backend, onBytes: (bytes: number) => void): RowTensors {
  if (!onDevice(backend)) return cpuRowTensors(backend.ort);
  return {
    gather: async (tensors, rows) => {
      const g = await gatherRowsOnDevice(backend, tensors, rows);
      onBytes(g.bytes);
      return g.tensors;
    },
    dispose: (t) => {
      if (t.location === "gpu-buffer") t.dispose();
    },
  };
}
