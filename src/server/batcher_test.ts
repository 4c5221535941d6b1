import assert from "node:assert/strict";
import { Batcher } from "./batcher.ts";
import { HttpError } from "./http_error.ts";

const never = new AbortController().signal;

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const run = async (items: number[], signal: AbortSignal): Promise<string[]> => {
    batches.push(items);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, delayMs);
      signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)));
    });
    return items.map((i) => `r${i}`);
  };
  return { batches, run };
}

Deno.test("Batcher takes compatible items in arrival order and leaves the others their place", async () => {
  const { batches, run } = recorder();
  const b = new Batcher(run, { maxBatch: 2, windowMs: 30, capacity: 10, concurrency: 1 });
  const out = await Promise.all([
    b.submit([1], "a", never),
    b.submit([2], "b", never),
    b.submit([3, 4], "a", never),
  ]);
  assert.deepEqual(out, [["r1"], ["r2"], ["r3", "r4"]]);
  assert.deepEqual(batches, [[1, 3], [2], [4]]);
  assert.equal(b.stats.largestBatch, 2);
});

Deno.test("Batcher refuses past its capacity with 503 and Retry-After", async () => {
  const { run } = recorder(20);
  const b = new Batcher(run, { maxBatch: 1, windowMs: 0, capacity: 1, concurrency: 1 });
  const first = b.submit([1], "a", never);
  await new Promise((r) => setTimeout(r, 5)); // 1 runs, the queue is empty again
  const second = b.submit([2], "a", never);
  await assert.rejects(b.submit([3], "a", never), (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.status, 503);
    assert.equal(e.code, "QUEUE_FULL");
    assert.ok(Number(e.headers["retry-after"]) >= 1);
    return true;
  });
  assert.deepEqual(await Promise.all([first, second]), [["r1"], ["r2"]]);
});

Deno.test("Batcher drops an aborted waiting item and aborts a batch nobody waits for", async () => {
  const { batches, run } = recorder(10_000);
  const b = new Batcher(run, { maxBatch: 1, windowMs: 0, capacity: 5, concurrency: 1 });
  const c1 = new AbortController(), c2 = new AbortController();
  const running = b.submit([1], "a", c1.signal);
  await new Promise((r) => setTimeout(r, 5));
  const waiting = b.submit([2], "a", c2.signal);
  assert.equal(b.stats.queued, 1);
  c2.abort(new Error("gone 2"));
  await assert.rejects(waiting, /gone 2/);
  assert.equal(b.stats.queued, 0);
  c1.abort(new Error("gone 1"));
  await assert.rejects(running, /gone 1/);
  await b.drain();
  assert.deepEqual(batches, [[1]]);
  assert.equal(b.stats.running, 0);
});
