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

interface AdapterInfoLike {
  description?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null>;
}

/** CPU implementations of WebGPU: Mesa's llvmpipe/lavapipe, Chromium's SwiftShader, WARP. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|\bwarp\b|microsoft basic render/i;

/**
 * The name of a software adapter, or null for a hardware one. An adapter counts as software when
 * it says so (`isFallbackAdapter`) or names a known CPU implementation (some report
 * `isFallbackAdapter` false: Chromium's SwiftShader, Mesa under some drivers).
 * @param adapter what requestAdapter() returned
 * @returns a description of the software adapter, or null
 */
export function softwareAdapter(
  adapter: { info?: AdapterInfoLike; isFallbackAdapter?: boolean },
): string | null {
  const info = adapter.info ?? {};
  const names = [info.description, info.vendor, info.architecture, info.device]
    .filter((n) => typeof n === "string" && n !== "" && !/^\d+$/.test(n)).join(" ");
  if (info.isFallbackAdapter || adapter.isFallbackAdapter || SOFTWARE_ADAPTER.test(names)) {
    return names || "unnamed";
  }
  return null;
}

/**
 * Whether WebGPU is usable, and why (or why not). Software adapters only count when WebGPU is
 * asked for by name.
 */
async function probeWebGpu(allowFallback: boolean): Promise<{ usable: boolean; reason: string }> {
  const no = (reason: string) => ({ usable: false, reason });
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) return no("navigator.gpu is not available (no WebGPU in this runtime or flag missing)");
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return no("navigator.gpu.requestAdapter() returned no adapter");
    const software = softwareAdapter(adapter);
    if (software !== null) {
      return allowFallback
        ? {
          usable: true,
          reason: `WebGPU was requested; the adapter is a software one (${software})`,
        }
        : no(
          `the only adapter is a software one (${software}), slower than WASM; ask for device "webgpu" to use it anyway`,
        );
    }
    const info = adapter.info ?? {};
    const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
    return {
      usable: true,
      reason: `a hardware WebGPU adapter was obtained (${name || "unnamed"})`,
    };
  } catch (e) {
    return no(`requestAdapter() failed: ${(e as Error).message}`);
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
    const probe = await probeWebGpu(device === "webgpu");
    if (probe.usable) {
      try {
        const ort = await loadOrt("webgpu");
        configure(ort, threads);
        report.push({ device: "webgpu", accepted: true, reason: probe.reason });
        return { device: "webgpu", ort, executionProviders: ["webgpu"], report };
      } catch (e) {
        reasons.webgpu = `onnxruntime-web/webgpu failed to load: ${(e as Error).message}`;
      }
    } else reasons.webgpu = probe.reason;
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
