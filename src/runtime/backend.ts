/**
 * Backend choice: WebGPU when an adapter can be obtained, else WASM-SIMD. Decided once, by
 * capability, when a model loads; the decision comes with the reason for each candidate.
 * @module
 */
import { BackendUnavailableError } from "../errors.ts";
import { loadOrt, type Ort } from "./ort.ts";

/** What the caller asks for. */
export type DeviceRequest = "auto" | "webgpu" | "wasm";

/** Options of backend selection. */
export interface BackendOptions {
  /** "auto" (default) tries WebGPU then WASM. */
  device?: DeviceRequest;
  /** WASM threads; default 1 (two threads on two busy cores are slower than one). */
  numThreads?: number;
}

/** One line of the selection report. */
export interface BackendReportEntry {
  /** The candidate. */
  device: "webgpu" | "wasm";
  /** Whether it was chosen. */
  accepted: boolean;
  /** Why it was taken or rejected. */
  reason: string;
}

/** The chosen backend. */
export interface Backend {
  /** The device the sessions run on. */
  device: "webgpu" | "wasm";
  /** The onnxruntime-web build that runs them. */
  ort: Ort;
  /** Execution providers to give every session. */
  executionProviders: string[];
  /** Why each candidate was taken or rejected. */
  report: BackendReportEntry[];
}

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  22,
  1,
  20,
  0,
  253,
  12,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  11,
]);

interface GpuLike {
  requestAdapter(): Promise<
    { info?: { description?: string; isFallbackAdapter?: boolean } } | null
  >;
}

/** Null when usable; else why not. Software adapters only count when WebGPU is asked for by name. */
async function probeWebGpu(allowFallback: boolean): Promise<string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return "navigator.gpu is not available (no WebGPU in this runtime or flag missing)";
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return "navigator.gpu.requestAdapter() returned no adapter";
    if (adapter.info?.isFallbackAdapter && !allowFallback) {
      return `the only adapter is a software fallback (${
        adapter.info.description || "unnamed"
      }), slower than WASM; ask for device "webgpu" to use it anyway`;
    }
    return null;
  } catch (e) {
    return `requestAdapter() failed: ${(e as Error).message}`;
  }
}

/**
 * Settings of the onnxruntime instance: thread count, and its native log off. onnxruntime prints
 * failed kernels (`[E:onnxruntime:, sequential_executor.cc:...]`) to stderr itself; vedge reports
 * each failure once, as a one-line error naming the graph (sessions and runs also log at fatal
 * level only, see graph_session.ts).
 */
function configure(ort: Ort, threads: number): void {
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "fatal";
}

function probeWasmSimd(): string | null {
  if (typeof WebAssembly !== "object") return "WebAssembly is not available";
  try {
    return WebAssembly.validate(SIMD_PROBE) ? null : "WebAssembly SIMD is not supported";
  } catch (e) {
    return `WebAssembly SIMD probe failed: ${(e as Error).message}`;
  }
}

/**
 * Picks and initialises a backend.
 * @param options device request and thread count
 * @returns the backend with its selection report
 */
export async function selectBackend(options: BackendOptions = {}): Promise<Backend> {
  const device = options.device ?? "auto";
  if (!["auto", "webgpu", "wasm"].includes(device)) {
    throw new RangeError(
      `device must be "auto", "webgpu" or "wasm", got ${JSON.stringify(device)}`,
    );
  }
  const threads = options.numThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`numThreads must be a positive integer, got ${threads}`);
  }
  const report: BackendReportEntry[] = [];
  const reasons: Record<string, string> = {};
  if (device !== "wasm") {
    const why = await probeWebGpu(device === "webgpu");
    if (why === null) {
      try {
        const ort = await loadOrt("webgpu");
        configure(ort, threads);
        report.push({ device: "webgpu", accepted: true, reason: "a WebGPU adapter was obtained" });
        return { device: "webgpu", ort, executionProviders: ["webgpu"], report };
      } catch (e) {
        reasons.webgpu = `onnxruntime-web/webgpu failed to load: ${(e as Error).message}`;
      }
    } else reasons.webgpu = why;
    report.push({ device: "webgpu", accepted: false, reason: reasons.webgpu });
    if (device === "webgpu") {
      throw new BackendUnavailableError(`WebGPU was requested but ${reasons.webgpu}`, reasons);
    }
  }
  const why = probeWasmSimd();
  if (why === null) {
    const ort = await loadOrt("wasm");
    configure(ort, threads);
    report.push({ device: "wasm", accepted: true, reason: "WebAssembly SIMD validated" });
    return { device: "wasm", ort, executionProviders: ["wasm"], report };
  }
  reasons.wasm = why;
  report.push({ device: "wasm", accepted: false, reason: why });
  throw new BackendUnavailableError(
    `No backend available: ${Object.entries(reasons).map(([k, v]) => `${k}: ${v}`).join("; ")}`,
    reasons,
  );
}
