import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { GraphBuilder } from "../graph/builder.ts";
import { VisionEncoderDecoderModel } from "../model/vision_encoder_decoder.ts";
import { selectBackend, softwareAdapter } from "./backend.ts";
import {
  gatherRowsOnDevice,
  hostBytes,
  readLogits,
  rowTensorsFor,
  tensorBytes,
} from "./gpu_cache.ts";
import { RowCache } from "./row_cache.ts";
import { GraphSession } from "./graph_session.ts";

const TROCR = new URL("../../tests/fixtures/models/trocr", import.meta.url).pathname;

Deno.test("software adapters are recognised by isFallbackAdapter (llvmpipe and SwiftShader set it), or by name where a browser leaves it unset", () => {
  assert.match(
    softwareAdapter({ info: { description: "llvmpipe (LLVM 15.0.6, 256 bits)" } })!,
    /llvmpipe/,
  );
  assert.match(
    softwareAdapter({ info: { vendor: "google", architecture: "swiftshader" } })!,
    /swiftshader/,
  );
  assert.equal(softwareAdapter({ info: { isFallbackAdapter: true } }), "unnamed");
  assert.equal(softwareAdapter({ info: { vendor: "nvidia", architecture: "hopper" } }), null);
});

Deno.test('device "auto" refuses a software WebGPU adapter and picks WASM, saying why', async () => {
  const nav = navigator as unknown as Record<string, unknown>;
  const had = Object.getOwnPropertyDescriptor(nav, "gpu");
  Object.defineProperty(nav, "gpu", {
    configurable: true,
    value: {
      requestAdapter: () =>
        Promise.resolve({ info: { description: "llvmpipe (LLVM 15)", isFallbackAdapter: false } }),
    },
  });
  try {
    const b = await selectBackend({ device: "auto" });
    assert.equal(b.device, "wasm");
    assert.equal(b.report[0].device, "webgpu");
    assert.equal(b.report[0].accepted, false);
    assert.match(b.report[0].reason, /software one \(llvmpipe.*ask for device "webgpu"/);
    assert.deepEqual(b.report[1], {
      device: "wasm",
      accepted: true,
      reason: "WebAssembly SIMD validated",
    });
  } finally {
    if (had) Object.defineProperty(nav, "gpu", had);
    else delete nav.gpu;
  }
});

Deno.test("a valid ONNX model the backend refuses is named as the backend's failure, not as a bad file", async () => {
  const backend = await selectBackend({ device: "wasm" });
  const b = new GraphBuilder();
  const x = b.input("x", "float32", [2]);
  b.output("y", b.op("NoSuchOperator", [x]), "float32", [2]);
  const e = await GraphSession.create(backend, b.toBytes(), "odd.onnx").then(
    () => assert.fail("created"),
    (e: Error) => e,
  );
  assert.ok(e instanceof ModelLoadError);
  assert.match(
    e.message,
    /^Cannot load odd\.onnx: onnxruntime's wasm backend could not create a session for this valid ONNX model \(\d+ bytes\): .*NoSuchOperator/,
  );
  assert.doesNotMatch(e.message, /truncated|not an ONNX model/);
});

Deno.test("bytes that are not ONNX still say so, with onnxruntime's words after", async () => {
  const backend = await selectBackend({ device: "wasm" });
  const bytes = new TextEncoder().encode("<html>not found</html> ".repeat(4));
  const e = await GraphSession.create(backend, bytes, "page.onnx").then(
    () => assert.fail("created"),
    (e: Error) => e,
  );
  assert.match(e.message, /^Cannot load page\.onnx: \d+ bytes are not an ONNX model/);
});

Deno.test("rowTensorsFor() on WASM: a RowCache selects rows in JS (source released at once), no bytes counted", async () => {
  const backend = await selectBackend({ device: "wasm" });
  const ort = backend.ort;
  let counted = 0;
  const rowTensors = rowTensorsFor(backend, (n) => (counted += n));
  const k = new ort.Tensor("float32", Float32Array.of(0, 1, 10, 11, 20, 21), [3, 1, 1, 2]);
  const v = new ort.Tensor("float32", Float32Array.of(5, 6, 7, 8, 9, 10), [3, 1, 1, 2]);
  const cache = new RowCache(rowTensors, Int32Array.of(0, 0, 1), [k, v], 1);
  const picked = cache.select([2, 0, 0, 1]);
  cache.release();
  assert.deepEqual([...picked.rowImage], [1, 0, 0, 0]);
  const tensors = await picked.take();
  assert.deepEqual([...(tensors[0].data as Float32Array)], [20, 21, 0, 1, 0, 1, 10, 11]);
  assert.deepEqual([...(tensors[1].data as Float32Array)], [9, 10, 5, 6, 5, 6, 7, 8]);
  assert.equal(counted, 0);
  assert.equal(hostBytes(backend, { k, ids: new ort.Tensor("int64", new BigInt64Array(3)) }), 0);
  assert.equal(tensorBytes(new ort.Tensor("int64", new BigInt64Array(3), [3])), 24);
  await assert.rejects(
    gatherRowsOnDevice(backend, [k], [3]),
    /row 3 out of range \[0, 3\)/,
  );
  picked.release();
});

Deno.test("readLogits() takes the last position of each row of a CPU tensor", async () => {
  const backend = await selectBackend({ device: "wasm" });
  const t = new backend.ort.Tensor("float32", Float32Array.from({ length: 12 }, (_, i) => i), [
    2,
    3,
    2,
  ]);
  const r = await readLogits(t);
  assert.deepEqual([...r.last], [4, 5, 10, 11]);
  assert.equal(r.all.length, 12);
  assert.equal(r.bytes, 0);
});

Deno.test("model.stats counts one GPU<->CPU entry per decoder run, all 0 on WASM (nothing crosses)", async () => {
  const m = await VisionEncoderDecoderModel.fromPretrained(TROCR, { device: "wasm" });
  try {
    const pixels = { data: new Float32Array(3 * 32 * 32).fill(0.25), dims: [1, 3, 32, 32] };
    await m.generate(pixels, { maxNewTokens: 5, numBeams: 2, minNewTokens: 5 });
    const s = m.stats;
    assert.equal(s.hostBytesPerStep.length, s.decoderFirstRuns + s.decoderStepRuns);
    assert.ok(s.hostBytesPerStep.length >= 5);
    assert.ok(s.hostBytesPerStep.every((b) => b === 0));
    assert.equal(s.hostBytes, 0);
  } finally {
    await m.dispose();
  }
});
