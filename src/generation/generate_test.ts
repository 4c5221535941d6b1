import assert from "node:assert/strict";
import { generate, generateStream } from "./generate.ts";
import { resolveGenerationConfig } from "../config/generation_config.ts";
import { FakeStepper } from "./testing/fake_stepper.ts";
import { TextStreamer } from "./text_streamer.ts";
import { AbortError } from "../errors.ts";

const V = 6;
const peak = (t: number): number[] => Array.from({ length: V }, (_, i) => (i === t ? 5 : 0));
const cfg = (o: Record<string, unknown>) =>
  resolveGenerationConfig(undefined, {
    decoderStartTokenId: 1,
    eosTokenId: 2,
    padTokenId: 0,
    ...o,
  });

Deno.test("abort stops a greedy run promptly, releases every cache, throws AbortError", async () => {
  const stepper = new FakeStepper(V, 2, () => peak(4), Infinity, 20);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = performance.now();
  await assert.rejects(
    () => generate(stepper, cfg({ maxNewTokens: 100 }), { signal: ac.signal }),
    (e: Error) => e instanceof AbortError && e.name === "AbortError",
  );
  assert.ok(performance.now() - t0 < 1000, "no need to wait for the 2 s run");
  await new Promise((r) => setTimeout(r, 40)); // the in-flight step lands and is released
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("abort during beam search releases every cache", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4), Infinity, 10);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 35);
  await assert.rejects(
    () => generate(stepper, cfg({ maxNewTokens: 100, numBeams: 3 }), { signal: ac.signal }),
    AbortError,
  );
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("an already aborted signal never starts the decoder", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4));
  await assert.rejects(
    () => generate(stepper, cfg({}), { signal: AbortSignal.abort() }),
    AbortError,
  );
  assert.equal(stepper.starts.length, 0);
});

Deno.test("generateStream yields each step's tokens and returns the output", async () => {
  const stepper = new FakeStepper(V, 2, (img, h) => peak(h.length < 3 ? 3 + img : 2));
  const it = generateStream(stepper, cfg({ maxNewTokens: 5 }));
  const steps: number[][] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) {
      assert.deepEqual(r.value.sequences, [[1, 3, 3, 2], [1, 4, 4, 2]]);
      break;
    }
    steps.push(r.value);
  }
  assert.deepEqual(steps, [[3, 4], [3, 4], [2, 2]]);
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("breaking out of generateStream releases the caches", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4));
  for await (const _ of generateStream(stepper, cfg({ maxNewTokens: 50 }))) break;
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("a streamer gets every step; beam search refuses one", async () => {
  const got: number[][] = [];
  let ended = false;
  const streamer = { onToken: (ids: number[]) => got.push(ids), onEnd: () => (ended = true) };
  const stepper = new FakeStepper(V, 1, (_i, h) => peak(h.length < 3 ? 5 : 2));
  await generate(stepper, cfg({ maxNewTokens: 9 }), { streamer });
  assert.deepEqual(got, [[5], [5], [2]]);
  assert.ok(ended);
  await assert.rejects(
    () => generate(stepper, cfg({ numBeams: 2 }), { streamer }),
    /streamer cannot be used with beam search/,
  );
});

Deno.test("TextStreamer emits words once complete and holds back incomplete UTF-8", async () => {
  // token -> bytes; token 4 and 5 are the two halves of "é" (0xC3 0xA9)
  const bytes: Record<number, number[]> = {
    3: [...new TextEncoder().encode("caf")],
    4: [0xc3],
    5: [0xa9, 0x20],
    1: [],
    2: [],
  };
  const decode = (ids: number[]): string =>
    new TextDecoder().decode(Uint8Array.from(ids.flatMap((t) => bytes[t])));
  const pieces: string[] = [];
  const streamer = new TextStreamer({ decode, onText: (t) => pieces.push(t) });
  const seq = [3, 4, 5, 3, 2];
  const stepper = new FakeStepper(V, 1, (_i, h) => peak(seq[h.length - 1]));
  await generate(stepper, cfg({ maxNewTokens: 9 }), { streamer });
  assert.deepEqual(pieces, ["café ", "caf"]);
  assert.ok(!pieces.join("").includes("\uFFFD"));
});

Deno.test("prompts: decoderInputIds are used as given; start token or bos is required", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(2));
  const out = await generate(stepper, cfg({ maxNewTokens: 3 }), { decoderInputIds: [[1, 5]] });
  assert.deepEqual(out.sequences, [[1, 5, 2]]);
  assert.deepEqual(stepper.starts, [[[1, 5]]]);
  const none = resolveGenerationConfig(undefined, { eosTokenId: 2 });
  await assert.rejects(() => generate(stepper, none), /decoder_start_token_id or bos_token_id/);
});

Deno.test("min_length above the resolved max_length is refused", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(2));
  await assert.rejects(
    () => generate(stepper, cfg({ minLength: 10, maxNewTokens: 3 })),
    /min_length \(10\) is larger than max_length \(4\)/,
  );
});

Deno.test("a decoder start token outside the vocabulary is a RangeError before the decoder runs", async () => {
  for (const start of [V, 99999, -1]) {
    const stepper = new FakeStepper(V, 1, () => peak(4));
    await assert.rejects(
      () => generate(stepper, cfg({ decoderStartTokenId: start })),
      (e: Error) =>
        e instanceof RangeError &&
        e.message ===
          `decoder_start_token_id is ${start}, not a token id below the decoder's vocabulary of ${V}`,
    );
    assert.equal(stepper.starts.length, 0);
  }
});

Deno.test("eos or pad token ids outside the vocabulary, negative ones too, are a RangeError", async () => {
  for (
    const o of [{ padTokenId: -4 }, { padTokenId: V }, { eosTokenId: V + 3 }]
  ) {
    const stepper = new FakeStepper(V, 1, () => peak(4));
    await assert.rejects(
      () => generate(stepper, cfg(o)),
      (e: Error) =>
        e instanceof RangeError && /\(eos\/pad\) is outside the vocabulary/.test(e.message),
      JSON.stringify(o),
    );
    assert.equal(stepper.starts.length, 0);
  }
});

Deno.test("a streamer that throws ends generation with its error and every cache released", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4));
  let calls = 0;
  const streamer = {
    onToken: () => {
      if (++calls === 3) throw new Error("display gone");
    },
  };
  await assert.rejects(
    () => generate(stepper, cfg({ maxNewTokens: 10 }), { streamer }),
    /display gone/,
  );
  assert.equal(stepper.liveCaches, 0);
});
