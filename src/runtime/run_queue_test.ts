import assert from "node:assert/strict";
import { AbortError } from "../errors.ts";
import { type BatchKind, RunQueue, runQueueFor } from "./run_queue.ts";

/** A kind whose runs take `ms` of timer time and record what ran, and whether runs overlapped. */
function recorder(name: string, maxBatch = 1, ms = 2, log: number[][] = []) {
  let finished = 0;
  const discarded: number[] = [];
  let running = 0, overlap = 0;
  const kind: BatchKind<number, number> = {
    name,
    maxBatch,
    run: async (payloads) => {
      running++;
      if (running > 1) overlap++;
      log.push([...payloads]);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      finished++;
      if (payloads.includes(-1)) throw new RangeError(`${name}: bad payload`);
      return payloads.map((p) => p * 10);
    },
    discard: (r) => void discarded.push(r),
  };
  return { kind, log, discarded, overlap: () => overlap, finished: () => finished };
}

Deno.test("RunQueue runs one job at a time, in submission order, each caller getting its own result", async () => {
  const q = new RunQueue();
  const log: number[][] = [];
  const a = recorder("a", 1, 2, log), b = recorder("b", 1, 2, log);
  const out = await Promise.all([
    q.submit(a.kind, 1),
    q.submit(b.kind, 2),
    q.submit(a.kind, 3),
    q.submit(b.kind, 4),
  ]);
  assert.deepEqual(out, [10, 20, 30, 40]);
  assert.deepEqual(log, [[1], [2], [3], [4]]);
  assert.equal(a.overlap() + b.overlap(), 0);
  assert.equal(q.stats.runs, 4);
});

Deno.test("RunQueue merges waiting requests of the same kind and batch key, up to maxBatch", async () => {
  const q = new RunQueue();
  const r = recorder("enc", 3);
  const out = await Promise.all([
    q.submit(r.kind, 1, { batchKey: "32x32" }),
    q.submit(r.kind, 2, { batchKey: "64x64" }),
    q.submit(r.kind, 3, { batchKey: "32x32" }),
    q.submit(r.kind, 4, { batchKey: "32x32" }),
    q.submit(r.kind, 5, { batchKey: "32x32" }),
    q.submit(r.kind, 6),
  ]);
  assert.deepEqual(out, [10, 20, 30, 40, 50, 60]);
  // the first three 32x32 requests run together; no key never merges
  assert.deepEqual(r.log, [[1, 3, 4], [2], [5], [6]]);
  assert.equal(q.stats.merged, 3);
});

Deno.test("RunQueue: a request aborted while waiting never runs and rejects with AbortError", async () => {
  const q = new RunQueue();
  const r = recorder("dec", 1, 5);
  const ac = new AbortController();
  const first = q.submit(r.kind, 1);
  const second = q.submit(r.kind, 2, { signal: ac.signal });
  const third = q.submit(r.kind, 3);
  ac.abort(new Error("user"));
  await assert.rejects(second, (e: Error) => e instanceof AbortError && e.name === "AbortError");
  assert.deepEqual(await Promise.all([first, third]), [10, 30]);
  assert.deepEqual(r.log, [[1], [3]]);
  assert.equal(q.stats.aborted, 1);
});

Deno.test("RunQueue: a request aborted while running rejects at once; its result is discarded", async () => {
  const q = new RunQueue();
  const r = recorder("dec", 1, 30);
  const ac = new AbortController();
  const p = q.submit(r.kind, 7, { signal: ac.signal });
  while (!q.busy || q.waiting > 0 || r.log.length === 0) await new Promise((s) => setTimeout(s, 1));
  ac.abort();
  await assert.rejects(p, AbortError);
  assert.equal(r.finished(), 0, "rejected before the run ended");
  await q.submit(r.kind, 8);
  assert.deepEqual(r.discarded, [70]);
});

Deno.test("RunQueue: an already aborted signal rejects without queueing", async () => {
  const q = new RunQueue();
  const r = recorder("x");
  await assert.rejects(q.submit(r.kind, 1, { signal: AbortSignal.abort() }), AbortError);
  assert.equal(r.log.length, 0);
});

Deno.test("RunQueue: a failing run rejects every request of its batch, and the queue goes on", async () => {
  const q = new RunQueue();
  const r = recorder("enc", 4);
  const bad = [q.submit(r.kind, -1, { batchKey: "k" }), q.submit(r.kind, 2, { batchKey: "k" })];
  const after = q.submit(r.kind, 5, { batchKey: "other" });
  for (const p of bad) await assert.rejects(p, /enc: bad payload/);
  assert.equal(await after, 50);
});

Deno.test("RunQueue lets timers fire between jobs", async () => {
  const q = new RunQueue();
  const busy: BatchKind<number, number> = {
    name: "spin",
    run: (p) => {
      const t = performance.now();
      while (performance.now() - t < 2) { /* a synchronous run, as WASM work is */ }
      return Promise.resolve(p);
    },
  };
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    for (let i = 0; i < 20; i++) await q.submit(busy, i);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 5, `the interval fired ${ticks} times during 20 synchronous 2 ms jobs`);
});

Deno.test("runQueueFor() gives one queue per onnxruntime instance", () => {
  const a = {}, b = {};
  assert.equal(runQueueFor(a), runQueueFor(a));
  assert.notEqual(runQueueFor(a), runQueueFor(b));
});
