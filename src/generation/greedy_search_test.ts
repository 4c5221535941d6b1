import assert from "node:assert/strict";
import { generate } from "./generate.ts";
import { resolveGenerationConfig } from "../config/generation_config.ts";
import { FakeStepper } from "./testing/fake_stepper.ts";

// Vocabulary of 6: 0 = pad, 1 = start, 2 = eos. `peak(t)` makes t the argmax.
const V = 6;
const peak = (t: number, v = V): number[] =>
  Array.from({ length: v }, (_, i) => (i === t ? 5 : i * 0.1));

Deno.test("greedy pads finished rows with pad_token_id while the others go on (Python's batch output)", async () => {
  // image 0: start -> 3 -> eos; image 1: start -> 4 -> 5 -> 4 -> 5 ... never eos
  const stepper = new FakeStepper(V, 2, (image, h) => {
    if (image === 0) return peak(h.length === 1 ? 3 : 2);
    return peak(h.length % 2 === 1 ? 4 : 5);
  });
  const config = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 1,
    eosTokenId: 2,
    padTokenId: 0,
    maxNewTokens: 4,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[1, 3, 2, 0, 0], [1, 4, 5, 4, 5]]);
  assert.equal(out.sequencesScores, null);
  assert.deepEqual(stepper.starts, [[[1], [1]]], "first step once, one row per image");
  assert.deepEqual(stepper.stepRows, [2, 2, 2], "max_new_tokens 4 feeds 3 more steps");
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("greedy stops when every row has an EOS id, and accepts several EOS ids", async () => {
  const stepper = new FakeStepper(
    V,
    2,
    (image, h) => peak(h.length === 1 ? 3 : image === 0 ? 2 : 5),
  );
  const config = resolveGenerationConfig(undefined, {
    decoder_start_token_id: 1,
    eos_token_id: [2, 5],
    pad_token_id: 0,
    max_length: 20,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[1, 3, 2], [1, 3, 5]]);
  assert.equal(stepper.liveCaches, 0);
});

Deno.test("greedy: a start token equal to EOS does not finish the row; pad defaults to eos", async () => {
  // TrOCR-like ids: start = eos = 2, no pad given -> Python pads with eos_token_id
  const stepper = new FakeStepper(V, 2, (image, h) => peak(image === 0 || h.length > 2 ? 2 : 4));
  const config = resolveGenerationConfig(undefined, {
    decoder_start_token_id: 2,
    eos_token_id: 2,
    max_new_tokens: 8,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[2, 2, 2, 2], [2, 4, 4, 2]]);
});

Deno.test("max_new_tokens wins over max_length; max_length counts the prompt", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4));
  const c1 = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 1,
    eosTokenId: 2,
    maxLength: 3,
    maxNewTokens: 5,
  });
  assert.equal((await generate(stepper, c1)).sequences[0].length, 6);
  const c2 = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 1,
    eosTokenId: 2,
    maxLength: 3,
  });
  assert.deepEqual((await generate(stepper, c2)).sequences, [[1, 4, 4]]);
});

Deno.test("asking for more than the decoder's positions is a RangeError naming both numbers", async () => {
  const stepper = new FakeStepper(V, 1, () => peak(4), 10);
  const ok = resolveGenerationConfig(undefined, { decoderStartTokenId: 1, maxNewTokens: 10 });
  assert.equal((await generate(stepper, ok)).sequences[0].length, 11);
  const tooLong = resolveGenerationConfig(undefined, { decoderStartTokenId: 1, maxNewTokens: 11 });
  await assert.rejects(() => generate(stepper, tooLong), (e: Error) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /max_length 12/);
    assert.match(e.message, /at most 10 positions/);
    return true;
  });
});

Deno.test("greedy takes the lowest index among equal maxima, as torch.argmax does", async () => {
  const stepper = new FakeStepper(V, 1, () => [0, 0, 0, 7, 7, 7]);
  const config = resolveGenerationConfig(undefined, { decoderStartTokenId: 1, maxNewTokens: 2 });
  assert.deepEqual((await generate(stepper, config)).sequences, [[1, 3, 3]]);
});

Deno.test("output_scores returns the processed scores of each step", async () => {
  const stepper = new FakeStepper(V, 1, () => [0, 1, 2, 3, 4, 5]);
  const config = resolveGenerationConfig(undefined, {
    decoderStartTokenId: 1,
    maxNewTokens: 2,
    suppressTokens: [5],
    outputScores: true,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[1, 4, 4]]);
  assert.equal(out.scores?.length, 2);
  assert.deepEqual(Array.from(out.scores![0]), [0, 1, 2, 3, 4, -Infinity]);
});
