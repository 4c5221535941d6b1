import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { GraphBuilder } from "./builder.ts";

ort.env.wasm.numThreads = 1;

async function run(
  b: GraphBuilder,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(b.toBytes());
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

Deno.test("gemm() with transB multiplies by an nn.Linear weight as stored [out, in]", async () => {
  const b = new GraphBuilder();
  const x = b.input("x", "float32", ["n", 3]);
  const w = b.initializerF32("w", Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
  const bias = b.initializerF32("bias", Float32Array.of(10, 20));
  b.output("y", b.gemm(x, w, bias, { transB: true }), "float32", ["n", 2]);
  const out = await run(b, {
    x: new ort.Tensor("float32", Float32Array.of(1, 0, -1, 2, 1, 0), [2, 3]),
  });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [
    1 - 3 + 10,
    4 - 6 + 20,
    2 + 2 + 10,
    8 + 5 + 20,
  ]);
});

Deno.test("layerNorm() matches torch.nn.LayerNorm natively (opset 17) and decomposed (opset 13)", async () => {
  const x = Float32Array.of(1, 2, 4, -3, 0.5, 7);
  const gamma = Float32Array.of(1, -2, 0.5);
  const beta = Float32Array.of(0, 1, -1);
  const eps = 1e-5;
  const expected: number[] = [];
  for (let r = 0; r < 2; r++) {
    const row = Array.from(x.subarray(r * 3, r * 3 + 3));
    const mean = row.reduce((a, v) => a + v, 0) / 3;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / 3;
    row.forEach((v, i) =>
      expected.push((v - mean) / Math.sqrt(variance + eps) * gamma[i] + beta[i])
    );
  }
  for (const opset of [17, 13]) {
    const b = new GraphBuilder({ opset });
    const xi = b.input("x", "float32", [2, 3]);
    const g = b.initializerF32("g", gamma);
    const be = b.initializerF32("b", beta);
    b.output("y", b.layerNorm(xi, g, be, eps), "float32", [2, 3]);
    const out = await run(b, { x: new ort.Tensor("float32", x, [2, 3]) });
    const got = Array.from(out.y.data as Float32Array);
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - expected[i]) < 1e-5, `opset ${opset}: ${v} vs ${expected[i]}`)
    );
  }
});

Deno.test("shape helpers, range and constantOfShape build a causal mask from symbolic dims", async () => {
  const b = new GraphBuilder();
  const past = b.input("past", "float32", ["p", 2]);
  const ids = b.input("ids", "int64", ["n"]);
  const p = b.squeeze(b.dim(past, 0), [0]);
  const n = b.squeeze(b.dim(ids, 0), [0]);
  const one = b.constI64(1);
  const total = b.add(p, n);
  const qpos = b.unsqueeze(b.range(p, total, one), [1]);
  const kpos = b.unsqueeze(b.range(b.constI64(0), total, one), [0]);
  const zeros = b.constantOfShapeF32(b.concat([b.dim(ids, 0), b.shape(kpos, 1, 2)], 0), 0);
  const mask = b.where(b.lessOrEqual(kpos, qpos), zeros, b.constF32(-1));
  b.output("mask", mask, "float32", ["n", "t"]);
  const out = await run(b, {
    past: new ort.Tensor("float32", new Float32Array(4), [2, 2]),
    ids: new ort.Tensor("int64", BigInt64Array.of(5n, 6n), [2]),
  });
  assert.deepEqual(out.mask.dims, [2, 4]);
  assert.deepEqual(Array.from(out.mask.data as Float32Array), [0, 0, 0, -1, 0, 0, 0, 0]);
});

Deno.test("unique() names never collide and withScope() prefixes them", () => {
  const b = new GraphBuilder();
  b.input("x", "float32", [1]);
  assert.equal(b.unique("x"), "x_1");
  assert.equal(b.withScope("layer.0", () => b.unique("q")), "layer.0/q");
  assert.equal(b.withScope("layer.0", () => b.unique("q")), "layer.0/q_1");
  assert.throws(() => b.input("x", "float32", [1]), RangeError);
  assert.throws(() => b.initializerF32("w", new Float32Array(3), [2, 2]), RangeError);
});
