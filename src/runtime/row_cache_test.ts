// The row cache both runtime steppers keep: rows follow select(), the cache checks what a loop
// hands back, and release() frees each owned tensor once, after pending reads (the hook
// GPU-resident caches use).
import assert from "node:assert/strict";
import type { DecoderCache } from "../generation/decoder_stepper.ts";
import { loadOrt, type OrtTensor } from "./ort.ts";
import { cpuRowTensors, RowCache, type RowTensors } from "./row_cache.ts";
import { cpuData } from "./tensors.ts";

const ort = await loadOrt("wasm");

function rowsTensor(values: number[][]): OrtTensor {
  return new ort.Tensor("float32", Float32Array.from(values.flat()), [
    values.length,
    values[0].length,
  ]);
}

Deno.test("select gathers the chosen rows of every tensor and their images", async () => {
  const past = [rowsTensor([[1, 2], [3, 4]]), rowsTensor([[5, 6], [7, 8]])];
  const c = new RowCache(cpuRowTensors(ort), Int32Array.from([0, 1]), past, 3);
  const s = c.select([1, 1, 0]);
  assert.equal(s.rows, 3);
  assert.deepEqual([...s.rowImage], [1, 1, 0]);
  assert.equal(s.pastLength, 3);
  const got = await s.take();
  assert.deepEqual([...cpuData(got[0])], [3, 4, 3, 4, 1, 2]);
  assert.deepEqual([...cpuData(got[1])], [7, 8, 7, 8, 5, 6]);
  assert.deepEqual(got[1].dims, [3, 2]);
  assert.deepEqual([...cpuData((await c.take())[0])], [1, 2, 3, 4], "the source is unchanged");
  assert.throws(() => c.select([2]), /row 2 out of range \[0, 2\)/);
  assert.throws(() => c.select([-1]), RangeError);
});

Deno.test("release frees each owned tensor once, after a pending gather; released caches are refused", async () => {
  const disposed: OrtTensor[] = [];
  let finish = (): void => {};
  const slow = new Promise<void>((resolve) => (finish = resolve));
  const cpu = cpuRowTensors(ort);
  const tensors: RowTensors = {
    gather: async (ts, rows) => {
      await slow;
      return cpu.gather(ts, rows);
    },
    dispose: (t) => disposed.push(t),
  };
  const past = [rowsTensor([[1]]), rowsTensor([[2]])];
  const c = new RowCache(tensors, Int32Array.from([0]), past, 1);
  const picked = c.select([0, 0]);
  c.release();
  c.release();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(disposed, [], "not freed while the gather still reads them");
  finish();
  assert.deepEqual([...cpuData((await picked.take())[0])], [1, 1]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(disposed, past);
  assert.equal(c.released, true);
  assert.throws(() => c.select([0]), /select\(\) on a released cache/);
  assert.throws(() => RowCache.forStep(c, [1], 10), /step\(\) on a released cache/);
  await assert.rejects(c.take(), /step\(\) on a released cache/);
  const next = picked.next([rowsTensor([[3]]), rowsTensor([[4]])], 1);
  assert.equal(next.pastLength, 2);
  assert.equal(next.rows, 2);
  assert.equal(picked.released, false);
});

Deno.test("forStep checks the token count and the position limit; foreign caches are refused", () => {
  const c = new RowCache(cpuRowTensors(ort), Int32Array.from([0, 0]), [rowsTensor([[1], [2]])], 4);
  assert.equal(RowCache.forStep(c, [7, 8], 5), c);
  assert.throws(() => RowCache.forStep(c, [7], 5), /step\(\) needs 2 tokens, got 1/);
  assert.throws(
    () => RowCache.forStep(c, [7, 8], 4),
    /sequence of 5 tokens exceeds the decoder's 4/,
  );
  const foreign: DecoderCache = { rows: 2, rowImage: Int32Array.from([0, 0]) };
  assert.throws(() => RowCache.of(foreign, "select()"), TypeError);
});
