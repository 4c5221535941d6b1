/**
 * The workers under failure and cancellation, and the pipelining itself: an abort stops the
 * decoder worker within a step; a decoder worker killed in the middle of a beam search fails the
 * call with WorkerDiedError and a new one answers the next call as the goldens say; a worker
 * that throws outside any request is reported dead; with several images the encoder worker runs
 * ahead of the decoder worker; "auto" falls back inline where workers cannot be used.
 */
import assert from "node:assert/strict";
import { pipeline } from "../../mod.ts";
import { AbortError, WorkerDiedError } from "../../src/errors.ts";
import { startWorker } from "../../src/platform/worker_port.ts";
import type { ImageToTextPipeline } from "../../src/pipeline/image_to_text.ts";
import type { WorkerClient } from "../../workers/worker_client.ts";
import { golden, imagePath, modelDir } from "../support/goldens.ts";
import { assertGolden } from "./assert_golden.ts";

type Request = WorkerClient["request"];

/** Wraps a client's request() to observe (and act on) each call. */
function spy(
  client: WorkerClient,
  around: (
    body: Parameters<Request>[0],
    options: Parameters<Request>[1],
    call: () => ReturnType<Request>,
  ) => ReturnType<Request>,
): void {
  const original = client.request.bind(client);
  client.request = (body, options) => around(body, options, () => original(body, options));
}

async function workersPipeline(model: string): Promise<ImageToTextPipeline> {
  return await pipeline("image-to-text", modelDir(model), { device: "wasm", workers: true });
}

function decoderRuns(p: ImageToTextPipeline): number {
  const s = p.workers!.lastDecoderStats!;
  return s.decoderFirstRuns + s.decoderStepRuns;
}

Deno.test("an abort crosses into the decoder worker and stops its loop", async () => {
  const p = await workersPipeline("vit-gpt2");
  try {
    const image = await p.load(imagePath("probe.png"));
    // 60 decoder runs (the fixture has 64 positions): long enough to see where an abort stops
    const long = { max_new_tokens: 60, min_new_tokens: 60 };
    await p.caption([image], long);
    const fullRuns = decoderRuns(p);
    await p.caption([image], long);
    assert.equal(decoderRuns(p) - fullRuns, 60);
    const controller = new AbortController();
    let tokens = 0;
    spy(p.workers!.decoder, (body, options, call) => {
      if (body.type !== "decode") return call();
      const onProgress = options!.onProgress!;
      options!.onProgress = (t) => {
        onProgress(t);
        if (++tokens === 2) controller.abort(new Error("enough"));
      };
      return call();
    });
    const before = decoderRuns(p);
    await assert.rejects(
      p.caption([image], { ...long, signal: controller.signal, onText: () => {} }),
      AbortError,
    );
    await p.caption([image], long);
    // the worker runs ahead of the progress messages this thread reads (a step takes about a
    // millisecond here), so the bound is loose; the loop's own one-step stop is tested in
    // src/generation; here: the abort reached the worker and ended its loop early
    const abortedRuns = decoderRuns(p) - before - 60;
    assert.ok(abortedRuns >= 2 && abortedRuns < 40, `the aborted call ran ${abortedRuns} steps`);
    assert.equal(p.workers!.decoder.stats.deaths, 0, "an abort does not kill the worker");
  } finally {
    await p.dispose();
  }
});

Deno.test("a decoder worker killed mid beam search fails the call; the next call restarts it and matches the goldens", async () => {
  const g = await golden("vit-gpt2");
  const beam4 = g.generate.find((c) => c.name === "beam4")!;
  const p = await workersPipeline("vit-gpt2");
  try {
    const w = p.workers!;
    const image = await p.load(imagePath("probe.png"));
    let kill = true;
    spy(w.decoder, (body, _options, call) => {
      const answer = call();
      // the decode is posted once the worker is ready; kill it while it searches
      if (body.type === "decode" && kill) setTimeout(() => w.decoder.terminate(), 20);
      return answer;
    });
    const failed = await p.caption([image], beam4.kwargs).then(() => null, (e) => e);
    assert.ok(failed instanceof WorkerDiedError, `got ${failed}`);
    assert.equal(failed.code, "WORKER_DIED");
    assert.match(failed.message, /decoder worker died \(terminated\) with 1 call\(s\) in flight/);
    assert.equal(w.decoder.alive, false);
    kill = false;
    for (let round = 0; round < 2; round++) {
      assertGolden(await p.caption([image], beam4.kwargs), beam4, `after the restart, ${round}`);
    }
    assert.equal(w.decoder.stats.starts, 2, "one new decoder worker, reused");
    assert.equal(w.decoder.stats.deaths, 1);
    assert.equal(w.encoder.stats.starts, 1, "the encoder worker was not touched");
  } finally {
    await p.dispose();
  }
});

Deno.test("killing and restarting the decoder worker leaks nothing: memory returns to its level", async () => {
  const p = await workersPipeline("vit-gpt2");
  try {
    const w = p.workers!;
    const image = await p.load(imagePath("probe.png"));
    const beam4 = { max_new_tokens: 16, num_beams: 4 };
    await p.caption([image], beam4);
    const levels: number[] = [];
    for (let round = 0; round < 6; round++) {
      const call = p.caption([image], beam4).then(() => "answered", (e) => e.name);
      setTimeout(() => w.decoder.terminate(), 20);
      await call;
      await p.caption([image], beam4);
      await new Promise((r) => setTimeout(r, 100));
      levels.push(Deno.memoryUsage().rss);
    }
    assert.equal(w.decoder.stats.starts, w.decoder.stats.deaths + 1, "one live worker");
    // a leaked worker (its isolate, its onnxruntime heap) costs tens of MB each: six would show
    const early = Math.max(levels[0], levels[1]);
    const mb = (b: number): string => `${Math.round(b / 1e6)} MB`;
    assert.ok(
      levels[5] <= early + 100e6,
      `RSS after 6 restarts ${mb(levels[5])}, after the first two ${mb(early)}: ${
        levels.map(mb).join(", ")
      }`,
    );
  } finally {
    await p.dispose();
  }
});

Deno.test("a worker that throws outside any request is reported dead", async () => {
  const port = await startWorker(new URL("./throwing_worker.ts", import.meta.url), "throws");
  assert.ok(port);
  const why = await new Promise<string>((resolve) => port.listen(() => {}, resolve));
  assert.match(why, /boom at start/);
});

Deno.test("with several images the encoder worker runs ahead of the decoder worker; results stay in order", async () => {
  const g = await golden("vit-gpt2");
  const p = await workersPipeline("vit-gpt2");
  try {
    const names = ["probe.png", "probe2.png", "probe.jpg"];
    const images = await Promise.all(names.map((n) => p.load(imagePath(n))));
    const events: string[] = [];
    for (
      const [client, kind] of [[p.workers!.encoder, "encode"], [
        p.workers!.decoder,
        "decode",
      ]] as const
    ) {
      let n = 0;
      spy(client, async (body, _options, call) => {
        if (body.type !== kind) return await call();
        const i = n++;
        const answer = await call();
        events.push(`${kind}d ${i}`);
        return answer;
      });
    }
    const out = await p.caption(images, { max_new_tokens: 16, num_beams: 4 });
    assert.ok(
      events.indexOf("encoded 1") < events.indexOf("decoded 0"),
      `image 1 was encoded while image 0 was decoded: ${events.join(", ")}`,
    );
    // each image's answer is its own golden (solo beam4 is the golden for probe.png)
    const solo = g.generate.find((c) => c.name === "beam4")!;
    assert.deepEqual(out[0].sequences[0].tokenIds, solo.sequences[0]);
    for (const [i, image] of images.entries()) {
      const alone = await p.caption([image], { max_new_tokens: 16, num_beams: 4 });
      assert.deepEqual(out[i].sequences.map((s) => s.text), alone[0].sequences.map((s) => s.text));
    }
  } finally {
    await p.dispose();
  }
});

Deno.test("concurrent calls share the two workers and each gets its own golden answer", async () => {
  const g = await golden("trocr");
  const p = await workersPipeline("trocr");
  try {
    const cases = ["greedy", "greedy_probe2", "beam4", "batch2_beam3", "greedy_jpeg"].map((n) =>
      g.generate.find((c) => c.name === n)!
    );
    const results = await Promise.all(cases.map(async (c) => {
      const images = await Promise.all(c.images.map((n) => p.load(imagePath(n))));
      return await p.caption(images, c.kwargs);
    }));
    cases.forEach((c, i) => assertGolden(results[i], c, c.name));
    assert.equal(p.workers!.encoder.stats.starts, 1);
    assert.equal(p.workers!.decoder.stats.starts, 1);
  } finally {
    await p.dispose();
  }
});

Deno.test("options over the memory limit are refused as inline, before any work is sent", async () => {
  const workers = await workersPipeline("vit-gpt2");
  const inline = await pipeline("image-to-text", modelDir("vit-gpt2"), { device: "wasm" });
  try {
    const images = await Promise.all(
      ["probe.png", "probe2.png"].map((n) => workers.load(imagePath(n))),
    );
    const tooBig = { num_beams: 4, max_new_tokens: 16, limits: { max_memory: 1024 } };
    const inWorkers = await workers.caption(images, tooBig).then(() => null, (e) => e);
    const onThread = await inline.caption(images, tooBig).then(() => null, (e) => e);
    assert.ok(inWorkers instanceof RangeError, `got ${inWorkers}`);
    assert.equal(inWorkers.message, onThread?.message);
    assert.equal(workers.workers!.encoder.stats.sent.encode, undefined, "nothing was encoded");
  } finally {
    await Promise.all([workers.dispose(), inline.dispose()]);
  }
});

Deno.test('workers: "auto" runs inline when the options cannot cross; true then refuses', async () => {
  const fetchFn: typeof fetch = (input, init) => fetch(input, init);
  const auto = await pipeline("image-to-text", modelDir("trocr"), {
    device: "wasm",
    workers: "auto",
    fetch: fetchFn,
  });
  try {
    assert.equal(auto.workers, null);
    assert.ok(auto.model, "the model runs on this thread");
  } finally {
    await auto.dispose();
  }
  await assert.rejects(
    pipeline("image-to-text", modelDir("trocr"), { workers: true, fetch: fetchFn }),
    TypeError,
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    pipeline("image-to-text", modelDir("trocr"), { workers: "yes" as any }),
    /workers must be "auto", true or false/,
  );
});
