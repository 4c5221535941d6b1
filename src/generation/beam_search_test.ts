import assert from "node:assert/strict";
import { generate } from "./generate.ts";
import { resolveGenerationConfig } from "../config/generation_config.ts";
import { FakeStepper } from "./testing/fake_stepper.ts";
import { BeamHypotheses } from "./beam_hypotheses.ts";
import { topK } from "./beam_search.ts";

// Tokens: 0 pad, 1 start, 2 eos, 3 "a", 4 "b". Logits are log-probabilities of this table
// (log_softmax leaves them unchanged up to float32 rounding); unlisted tokens have p = 0.
const P: Record<string, Record<number, number>> = {
  "1": { 3: 0.5, 4: 0.3, 2: 0.2 },
  "1,3": { 2: 0.6, 3: 0.4 },
  "1,4": { 3: 0.9, 2: 0.1 },
  "1,4,3": { 2: 0.6, 4: 0.4 },
  "1,3,3": { 2: 0.9, 4: 0.1 },
  "1,4,3,4": { 2: 0.99, 3: 0.01 },
  "1,3,3,4": { 2: 0.6, 3: 0.4 },
};
const V = 5;
const logits = (_img: number, h: readonly number[]): number[] => {
  const p = P[h.join(",")] ?? { 2: 1 };
  return Array.from({ length: V }, (_, t) => Math.log(p[t] ?? 0));
};
const base = { decoderStartTokenId: 1, eosTokenId: 2, padTokenId: 0, numBeams: 2 };
const close = (a: number[] | null, b: number[]): void => {
  assert.ok(a !== null);
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-5, `${a} vs ${b}`));
};
const L = Math.log;

// Hand trace of v4.27 beam_search with num_beams 2, max_new_tokens 3 (max_length 4):
// step 1 (cur_len 1): candidates a .5, b .3, eos .2 (rank 2: beyond num_beams, not a hypothesis),
//   beam-1 copies at -1e9. Beams: [1,a] .5, [1,b] .3 (both from image row 0: select [0, 0]).
// step 2 (cur_len 2): a-eos .30 (rank 0 -> hyp [1,a] score log(.30)/2), b-a .27, a-a .20.
//   Beams [1,b,a] (from row 1), [1,a,a] (row 0): select [1, 0].
// step 3 (cur_len 3): a-a-eos .18 (hyp [1,a,a] log(.18)/3 = -.5716), b-a-eos .162 (hyp
//   log(.162)/3 = -.6067, evicts itself as the worst of three), b-a-b .108, a-a-b .02.
//   is_done: worst log(.3)/2 = -.602 >= log(.18)/3 = -.5716? no. Length 4 reached.
// finalize: [1,b,a,b] log(.108)/4 = -.5566 enters (evicting [1,a]); [1,a,a,b] -.978 does not.
Deno.test("beam search follows v4.27 step for step (hand trace, length_penalty 1, 2 returned)", async () => {
  const stepper = new FakeStepper(V, 1, logits);
  const config = resolveGenerationConfig(undefined, {
    ...base,
    maxNewTokens: 3,
    numReturnSequences: 2,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[1, 4, 3, 4], [1, 3, 3, 2]]);
  close(out.sequencesScores, [L(0.3 * 0.9 * 0.4) / 4, L(0.5 * 0.4 * 0.9) / 3]);
  assert.deepEqual(stepper.starts, [[[1]]], "the first step runs once per image");
  assert.deepEqual(stepper.selects, [[0, 0], [1, 0]], "select gets the beams' source rows");
  assert.deepEqual(stepper.stepRows, [2, 2]);
  assert.equal(stepper.liveCaches, 0);
});

// length_penalty 0: scores are plain sums. Step 3: hyps [1,a] log .3, [1,a,a] log .18
// (log .162 evicted); is_done: worst log .18 >= best log .18 / 3**0 -> done. finalize skips the
// running beams; [1,a] gets EOS then pad to the common width min(3 + 1, 4) = 4.
Deno.test("beam search with length_penalty 0 pads shorter hypotheses after their EOS", async () => {
  const stepper = new FakeStepper(V, 1, logits);
  const config = resolveGenerationConfig(undefined, {
    ...base,
    maxNewTokens: 3,
    numReturnSequences: 2,
    lengthPenalty: 0,
  });
  const out = await generate(stepper, config);
  assert.deepEqual(out.sequences, [[1, 3, 2, 0], [1, 3, 3, 2]]);
  close(out.sequencesScores, [L(0.3), L(0.18)]);
});

// max_new_tokens 4, length_penalty 1. early_stopping true: after step 3 two hypotheses exist ->
// done; best [1,a,a] (-.5716). (Had the rank-2 EOS of step 1 been taken, it would already be
// done at step 2 with [1,a].) early_stopping false: -.602 >= -.5716 fails, so step 4 runs:
// b-a-b-eos .10692 -> hyp log(.10692)/4 = -.5591, the new best.
Deno.test("early_stopping true stops at num_beams hypotheses; false searches on", async () => {
  const run = async (earlyStopping: boolean | "never"): Promise<number[][]> => {
    const stepper = new FakeStepper(V, 1, logits);
    const config = resolveGenerationConfig(undefined, { ...base, maxNewTokens: 4, earlyStopping });
    const out = await generate(stepper, config);
    assert.equal(stepper.liveCaches, 0);
    return out.sequences;
  };
  assert.deepEqual(await run(true), [[1, 3, 3, 2]]);
  assert.deepEqual(await run(false), [[1, 4, 3, 4, 2]]);
  assert.deepEqual(await run("never"), [[1, 4, 3, 4, 2]]);
});

Deno.test("BeamHypotheses.isDone implements the three early_stopping rules", () => {
  // two hypotheses of length 2 with sums -1 and -2, length_penalty 1: worst = -2/2 = -1
  const make = (e: boolean | "never", lp = 1): BeamHypotheses => {
    const h = new BeamHypotheses(2, lp, e, 10);
    h.add([1, 5], -1);
    h.add([1, 6], -2);
    return h;
  };
  assert.equal(make(false).worstScore, -1);
  assert.equal(new BeamHypotheses(2, 1, false, 10).isDone(-100, 3), false, "fewer than num_beams");
  assert.equal(make(true).isDone(-0.1, 3), true);
  // false: the heuristic bound from the length given: best -3 at length 4 -> -0.75 > -1: not
  // done; -4/4 = -1: done (>=). max_length (10) plays no part, whatever length_penalty is.
  assert.equal(make(false).isDone(-3, 4), false);
  assert.equal(make(false).isDone(-4, 4), true);
  // lp <= 0 uses the length too: lp -1: worst = min(-1*2, -2*2) = -4; best -1 * 4 = -4 -> done
  assert.equal(make(false, -1).isDone(-1, 4), true);
  // "never" with lp > 0 divides by max_length 10: -4/10 = -0.4 > -1: not done (where false
  // is done); -10/10: done
  assert.equal(make("never").isDone(-4, 4), false);
  assert.equal(make("never").isDone(-10, 4), true);
  // "never" with lp <= 0 uses cur_len like false: lp -1: worst = min(-1*2, -2*2) = -4;
  // best -1 * 4 = -4 -> done
  assert.equal(make("never", -1).isDone(-1, 4), true);
});

// length_penalty 0.5, max_new_tokens 6 (max_length 7): the three rules stop at different steps.
// step 1 (input length 1): a .5, b .3, eos .2 (rank 2: no hypothesis). Beams [1,a], [1,b].
// step 2 (input 2): a-eos log .3 (rank 0) -> hyp [1,a] -1.2040/sqrt2 = -0.8513; beams [1,b,a]
//   log .27, [1,a,a] log .2. One hypothesis: not done.
// step 3 (input 3): a-a-eos log .18 = -1.7148 -> hyp [1,a,a] -1.7148/sqrt3 = -0.9900 (worst);
//   b-a-eos log .162 -> -1.0508 refused. Beams [1,b,a,b] log .108, [1,a,a,b] log .02.
//   is_done(best -1.7148): scored length 4 -> -1.7148/2 = -0.8574 > -0.9900: search on (the
//   input length 3 would give -0.9900 >= -0.9900: done, one step early).
// step 4 (input 4): b-a-b-eos log .10692 = -2.2357 -> -2.2357/2 = -1.1179 refused; a-a-b-eos
//   log .012 refused. is_done(-2.2357): length 5 -> -2.2357/sqrt5 = -0.9998 <= -0.9900: done.
//   "never" divides by max_length 7 instead: -0.8450 > -0.9900, so it runs one more step, where
//   only EOS follows and every candidate is -Infinity except the EOS ones (done).
// Every rule returns [1,a] + EOS (-0.8513); the steps run tell the rules apart.
Deno.test("early_stopping false bounds with the scored length, never with max_length", async () => {
  const run = async (earlyStopping: boolean | "never"): Promise<number> => {
    const stepper = new FakeStepper(V, 1, logits);
    const config = resolveGenerationConfig(undefined, {
      ...base,
      maxNewTokens: 6,
      lengthPenalty: 0.5,
      earlyStopping,
    });
    const out = await generate(stepper, config);
    assert.deepEqual(out.sequences, [[1, 3, 2]]);
    close(out.sequencesScores, [L(0.3) / Math.sqrt(2)]);
    return stepper.stepRows.length + 1;
  };
  assert.equal(await run(false), 4, "false: done after step 4");
  assert.equal(await run("never"), 5, "never: done after step 5");
  assert.equal(await run(true), 3, "true: done once two hypotheses exist (step 3)");
});

Deno.test("BeamHypotheses.add evicts the worst, the earliest among equals", () => {
  const h = new BeamHypotheses(2, 1, false, 10);
  h.add([1, 3], -2); // -1
  h.add([1, 4], -2); // -1
  h.add([1, 5], -1); // -0.5: evicts [1,3] (lowest index among the two -1s)
  assert.deepEqual(h.beams.map((b) => b.tokens), [[1, 4], [1, 5]]);
  assert.equal(h.worstScore, -1);
  h.add([1, 6], -2); // -1 is not > worst: refused
  assert.equal(h.length, 2);
});

Deno.test("topK returns the best first and prefers the lower index on ties", () => {
  const { values, indices } = topK(Float32Array.from([1, 5, 3, 5, -Infinity, 3]), 4);
  assert.deepEqual(Array.from(indices), [1, 3, 2, 5]);
  assert.deepEqual(Array.from(values), [5, 5, 3, 3]);
});

Deno.test("beam search over a batch keeps each image's beams and pads a done image", async () => {
  // image 0 follows the table; image 1 ends at once: "1" -> eos .9 / a .1, then eos always
  const stepper = new FakeStepper(V, 2, (img, h) => {
    if (img === 0) return logits(img, h);
    const p: Record<number, number> = h.length === 1 ? { 2: 0.9, 3: 0.06, 4: 0.04 } : { 2: 1 };
    return Array.from({ length: V }, (_, t) => Math.log(p[t] ?? 0));
  });
  const config = resolveGenerationConfig(undefined, {
    ...base,
    maxNewTokens: 3,
    earlyStopping: true,
  });
  const out = await generate(stepper, config);
  // image 1: step 1 eos (rank 0) -> hyp [1] (log .9); beams [1,a], [1,b]; step 2 both end:
  // [1,a] log(.06), [1,b] log(.04) /2 -> done with [1] best; width 2 -> [1, 2], then padded
  // to the batch width 4 of image 0 ([1,a,a] + eos, early stopping at step 3)
  assert.deepEqual(out.sequences, [[1, 3, 3, 2], [1, 2, 0, 0]]);
  close(out.sequencesScores, [L(0.18) / 3, L(0.9)]);
  for (const sel of stepper.selects.slice(1)) {
    assert.ok(sel.slice(0, 2).every((r) => r < 2) && sel.slice(2).every((r) => r >= 2), `${sel}`);
  }
  assert.deepEqual(stepper.selects[0], [0, 0, 1, 1], "first select maps beams to image rows");
  assert.equal(stepper.liveCaches, 0);
});
