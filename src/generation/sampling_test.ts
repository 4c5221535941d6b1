import assert from "node:assert/strict";
import { generate } from "./generate.ts";
import { resolveGenerationConfig } from "../config/generation_config.ts";
import { FakeStepper } from "./testing/fake_stepper.ts";
import { Prng } from "./prng.ts";

const V = 5;
// history-dependent logits so that different draws lead to different futures
const logits = (_img: number, h: readonly number[]): number[] =>
  Array.from({ length: V }, (_, t) => Math.sin(7 * t + 3 * h.length + h[h.length - 1]));

const sample = (opts: Record<string, unknown>): Promise<number[][]> =>
  generate(
    new FakeStepper(V, 2, logits),
    resolveGenerationConfig(undefined, { decoderStartTokenId: 0, doSample: true, ...opts }),
  ).then((o) => o.sequences);

Deno.test("seeded sampling is reproducible and the seed matters", async () => {
  const a = await sample({ seed: 42, maxNewTokens: 12, topK: 0 });
  const b = await sample({ seed: 42, maxNewTokens: 12, topK: 0 });
  const c = await sample({ seed: 43, maxNewTokens: 12, topK: 0 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("sampling with top_k 1 equals greedy search", async () => {
  const greedy = await generate(
    new FakeStepper(V, 2, logits),
    resolveGenerationConfig(undefined, { decoderStartTokenId: 0, maxNewTokens: 10 }),
  );
  assert.deepEqual(await sample({ seed: 7, topK: 1, maxNewTokens: 10 }), greedy.sequences);
});

Deno.test("num_return_sequences expands each image's row after the first step", async () => {
  const stepper = new FakeStepper(V, 2, logits);
  const config = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 0,
    doSample: true,
    seed: 1,
    numReturnSequences: 3,
    maxNewTokens: 3,
  });
  const out = await generate(stepper, config);
  assert.equal(out.sequences.length, 6);
  assert.deepEqual(stepper.starts, [[[0], [0]]], "first step once per image");
  assert.deepEqual(stepper.selects, [[0, 0, 0, 1, 1, 1]]);
  assert.deepEqual(stepper.stepRows, [6, 6]);
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("draws follow the processed distribution (chi-square, fixed seed)", async () => {
  // logits [0, 1, 2, 3, 0.5], temperature 2 -> [0, .5, 1, 1.5, .25]; top_k 3 keeps tokens
  // 1, 2, 3 -> p ∝ e^.5, e^1, e^1.5 (Python: TemperatureLogitsWarper then TopKLogitsWarper).
  const n = 6000;
  const stepper = new FakeStepper(V, 1, () => [0, 1, 2, 3, 0.5]);
  const config = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 0,
    doSample: true,
    seed: 2024,
    temperature: 2,
    topK: 3,
    numReturnSequences: n,
    maxNewTokens: 1,
  });
  const out = await generate(stepper, config);
  const counts = new Array(V).fill(0);
  for (const s of out.sequences) counts[s[1]]++;
  assert.equal(counts[0] + counts[4], 0, "filtered tokens are never drawn");
  const w = [Math.exp(0.5), Math.exp(1), Math.exp(1.5)];
  const z = w.reduce((x, y) => x + y);
  let chi2 = 0;
  for (let i = 0; i < 3; i++) {
    const e = (n * w[i]) / z;
    chi2 += (counts[i + 1] - e) ** 2 / e;
  }
  // 2 degrees of freedom: P(chi2 > 13.8) = 0.001
  assert.ok(chi2 < 13.8, `chi2 ${chi2.toFixed(2)} for counts ${counts}`);
});

Deno.test("Prng: same seed same stream, uniform in [0, 1)", () => {
  const a = new Prng(5), b = new Prng(5);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = a.nextDouble();
    assert.equal(x, b.nextDouble());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.01);
  assert.notEqual(new Prng(5).nextUint32(), new Prng(6).nextUint32());
});
