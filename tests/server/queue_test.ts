/**
 * The caption server's queue, with a scripted model whose timing the test controls: a full
 * queue answers 503 with Retry-After, a deadline 504 and aborts the work, a client that goes
 * away frees its slot (waiting or running), compatible requests share a batch and incompatible
 * ones do not, a failing batch fails only the request that broke it, and draining finishes
 * what was taken while refusing new work.
 */
import assert from "node:assert/strict";
import type { CaptionOptions, CaptionResult } from "../../src/pipeline/image_to_text.ts";
import type { RgbImage } from "../../src/image/rgb_image.ts";
import { errorOf, postRaw, ScriptedModel, serve, waitFor } from "./server_test_support.ts";

const byte = (v: number): Uint8Array<ArrayBuffer> => new Uint8Array([v, 1, 2, 3]);

Deno.test("a full queue answers 503 QUEUE_FULL with Retry-After; the queued ones still answer", async () => {
  const model = new ScriptedModel(300);
  const s = serve(model, { queue: 2, maxBatch: 1, batchWindowMs: 0 });
  try {
    const first = postRaw(s.url, byte(1));
    await waitFor("the first request to run", () => model.running === 1);
    const queued = [postRaw(s.url, byte(2)), postRaw(s.url, byte(3))];
    await waitFor("two queued", () => s.app.stats.queued === 2);
    const refused = await postRaw(s.url, byte(4));
    assert.equal(refused.status, 503);
    const retry = Number(refused.headers.get("retry-after"));
    assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After ${retry}`);
    const e = await errorOf(refused);
    assert.equal(e.code, "QUEUE_FULL");
    assert.match(e.message, /2 of 2 images waiting/);
    for (const r of await Promise.all([first, ...queued])) {
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
  } finally {
    await s.close();
  }
});

Deno.test("a request past --timeout-ms answers 504 DEADLINE_EXCEEDED and its work is aborted", async () => {
  const model = new ScriptedModel(5000);
  const s = serve(model, { timeoutMs: 150, batchWindowMs: 0 });
  try {
    const started = Date.now();
    const r = await postRaw(s.url, byte(1));
    assert.equal(r.status, 504);
    assert.equal((await errorOf(r)).code, "DEADLINE_EXCEEDED");
    assert.ok(Date.now() - started < 2000, "answered at the deadline, not when the work ended");
    assert.equal(model.aborted, 1, "the running batch was aborted");
    assert.deepEqual(s.app.stats.running, 0);
  } finally {
    await s.close();
  }
});

Deno.test("a client that disconnects frees its slot, running or waiting", async () => {
  const model = new ScriptedModel(10_000);
  const s = serve(model, { queue: 1, maxBatch: 1, batchWindowMs: 0 });
  try {
    // running: the model call is aborted
    const gone = new AbortController();
    const running = postRaw(s.url, byte(1), "", { signal: gone.signal }).catch((e) => e);
    await waitFor("the request to run", () => model.running === 1);
    // waiting: dropped from the queue
    const gone2 = new AbortController();
    const waiting = postRaw(s.url, byte(2), "", { signal: gone2.signal }).catch((e) => e);
    await waitFor("one queued", () => s.app.stats.queued === 1);
    gone2.abort();
    await waitFor("the waiting slot to be freed", () => s.app.stats.queued === 0);
    gone.abort();
    await waitFor("the running work to stop", () => model.aborted === 1 && model.running === 0);
    assert.ok((await running) instanceof Error && (await waiting) instanceof Error);
    assert.equal(s.app.stats.running, 0);
    assert.deepEqual(model.calls, [1], "the waiting request never ran");
    // the slots are free again
    model.delayMs = 0;
    const next = await postRaw(s.url, byte(7));
    assert.equal(next.status, 200);
    assert.equal((await next.json()).sequences[0].text, "red 7");
  } finally {
    await s.close();
  }
});

Deno.test("requests with equal options share a batch, others do not, each gets its own answer", async () => {
  const model = new ScriptedModel(50);
  const s = serve(model, { maxBatch: 4, batchWindowMs: 200 });
  try {
    const rs = await Promise.all([
      ...[1, 2, 3, 4, 5].map((v) => postRaw(s.url, byte(v), "?num_beams=2")),
      postRaw(s.url, byte(6), "?num_beams=3"),
    ]);
    const texts = await Promise.all(rs.map(async (r) => (await r.json()).sequences[0].text));
    assert.deepEqual(texts, [1, 2, 3, 4, 5, 6].map((v) => `red ${v}`));
    assert.deepEqual([...model.calls].sort(), [1, 1, 4], "4 + 1 with num_beams 2, 1 alone");
  } finally {
    await s.close();
  }
});

/** A scripted model whose caption() throws whenever an image's red value is 13. */
class FailsOn13 extends ScriptedModel {
  override caption(images: RgbImage[], options: CaptionOptions): Promise<CaptionResult[]> {
    if (images.some((im) => im.data[0] === 13)) {
      this.calls.push(images.length);
      return Promise.reject(new Error("scripted failure on 13"));
    }
    return super.caption(images, options);
  }
}

Deno.test("a batch that fails is re-run image by image: only the culprit's request fails", async () => {
  const model = new FailsOn13(0);
  const s = serve(model, { maxBatch: 8, batchWindowMs: 200 });
  try {
    const rs = await Promise.all([5, 13, 9].map((v) => postRaw(s.url, byte(v))));
    assert.deepEqual(rs.map((r) => r.status), [200, 500, 200]);
    assert.equal((await errorOf(rs[1])).code, "INTERNAL");
    assert.equal((await rs[0].json()).sequences[0].text, "red 5");
    assert.equal((await rs[2].json()).sequences[0].text, "red 9");
    assert.deepEqual(model.calls, [3, 1, 1, 1]);
    // a bad image never reaches a batch: 400 for it, 200 for the others
    const [bad, good] = await Promise.all([
      postRaw(s.url, new Uint8Array([0xff, 0, 1])),
      postRaw(s.url, byte(4)),
    ]);
    assert.equal(bad.status, 400);
    assert.equal((await errorOf(bad)).code, "IMAGE_DECODE");
    assert.equal(good.status, 200);
    await good.body?.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("draining finishes what was taken and refuses new work with 503 SHUTTING_DOWN", async () => {
  const model = new ScriptedModel(200);
  const s = serve(model, { maxBatch: 1, batchWindowMs: 0 });
  try {
    const taken = [postRaw(s.url, byte(1)), postRaw(s.url, byte(2))];
    await waitFor("one running, one queued", () => s.app.stats.running + s.app.stats.queued === 2);
    const drained = s.app.drain();
    const late = await postRaw(s.url, byte(3));
    assert.equal(late.status, 503);
    assert.equal((await errorOf(late)).code, "SHUTTING_DOWN");
    const health = await fetch(`${s.url}/healthz`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).status, "draining");
    const done = await Promise.all(taken);
    assert.deepEqual(done.map((r) => r.status), [200, 200]);
    await Promise.all(done.map((r) => r.body?.cancel()));
    await drained;
  } finally {
    await s.close();
  }
});
