// Each expectation below is what transformers v4.27's processor computes on the same float32
// scores and input_ids (derivation beside each case; torch rounds every op to float32).
import assert from "node:assert/strict";
import { RepetitionPenaltyProcessor } from "./repetition_penalty.ts";
import { NoRepeatNGramProcessor } from "./no_repeat_ngram.ts";
import { BadWordsProcessor } from "./bad_words.ts";
import { MinLengthProcessor } from "./min_length.ts";
import { MinNewTokensProcessor } from "./min_new_tokens.ts";
import { ForcedBosProcessor } from "./forced_bos.ts";
import { ForcedEosProcessor } from "./forced_eos.ts";
import { SuppressTokensProcessor } from "./suppress_tokens.ts";
import { BeginSuppressTokensProcessor } from "./begin_suppress_tokens.ts";
import { TemperatureWarper } from "./temperature.ts";
import { TopKWarper } from "./top_k.ts";
import { TopPWarper } from "./top_p.ts";
import type { LogitsProcessor } from "./logits_processor.ts";
import { buildLogitsProcessors, buildLogitsWarpers } from "./logits_processor_builder.ts";
import { resolveGenerationConfig } from "../config/generation_config.ts";

const I = -Infinity;
const run = (p: LogitsProcessor, rows: number[][], ids: number[][]): number[][] => {
  const v = rows[0].length;
  const s = Float32Array.from(rows.flat());
  p.process(s, ids);
  return rows.map((_, r) => Array.from(s.subarray(r * v, (r + 1) * v)));
};
const f = Math.fround;

Deno.test("repetition penalty divides positive and multiplies negative scores, once per token", () => {
  // gather(scores, ids) -> where(score < 0, score * p, score / p) -> scatter: token 1 appears
  // twice but is penalised once; p = 1.3 is float32(1.3) = 1.2999999523162842
  const out = run(new RepetitionPenaltyProcessor(1.3), [[1, -1, 3, 0.5]], [[0, 1, 1]]);
  assert.deepEqual(out, [[f(1 / f(1.3)), f(-1 * f(1.3)), 3, 0.5]]);
  assert.equal(out[0][0], 0.7692307829856873);
});

Deno.test("no_repeat_ngram bans the token completing a seen n-gram, start token included", () => {
  // n = 2, ids [1,3,4,3]: bigrams (1,3) (3,4) (4,3); prefix (3,) was followed by 4 -> ban 4.
  // Row 2 [1,3,4,5]: prefix (5,) unseen -> nothing.
  const z = [0, 0, 0, 0, 0, 0];
  const out = run(new NoRepeatNGramProcessor(2), [z, z], [[1, 3, 4, 3], [1, 3, 4, 5]]);
  assert.deepEqual(out, [[0, 0, 0, 0, I, 0], z]);
  // n = 3 with ids [1,3]: cur_len + 1 >= 3 but no trigram exists yet -> nothing
  assert.deepEqual(run(new NoRepeatNGramProcessor(3), [z], [[1, 3]]), [z]);
  // n = 1 bans every token seen
  assert.deepEqual(run(new NoRepeatNGramProcessor(1), [z], [[1, 3]]), [[0, I, 0, I, 0, 0]]);
});

Deno.test("bad words: single tokens always, longer ones when the prefix matches; [eos] dropped", () => {
  // bad_words_ids [[2],[1],[3,4],[5,3,4]], eos 2 -> [2] filtered out (equals [eos]);
  // row [0,5,3]: [3,4] and [5,3,4] both match -> ban 4; [1] always banned.
  // row [0,3,5]: no prefix match -> only 1.
  const z = [0, 0, 0, 0, 0, 0];
  const p = new BadWordsProcessor([[2], [1], [3, 4], [5, 3, 4]], [2]);
  assert.deepEqual(run(p, [z, z], [[0, 5, 3], [0, 3, 5]]), [[0, I, 0, 0, I, 0], [
    0,
    I,
    0,
    0,
    0,
    0,
  ]]);
});

Deno.test("min_length and min_new_tokens forbid EOS until their length", () => {
  const z = [1, 1, 1, 1];
  // MinLength(3): cur_len 2 < 3 -> eos -inf; cur_len 3 -> unchanged
  assert.deepEqual(run(new MinLengthProcessor(3, [2, 3]), [z], [[0, 1]]), [[1, 1, I, I]]);
  assert.deepEqual(run(new MinLengthProcessor(3, [2]), [z], [[0, 1, 1]]), [z]);
  // MinNewTokens(prompt 1, 2): 1 new token < 2 -> banned; 2 new -> unchanged
  assert.deepEqual(run(new MinNewTokensProcessor(1, 2, [2]), [z], [[0, 1]]), [[1, 1, I, 1]]);
  assert.deepEqual(run(new MinNewTokensProcessor(1, 2, [2]), [z], [[0, 1, 1]]), [z]);
});

Deno.test("forced BOS at cur_len 1 and forced EOS at max_length - 1 set 0 and -inf", () => {
  const z = [1, 2, 3, 4];
  assert.deepEqual(run(new ForcedBosProcessor(3), [z], [[0]]), [[I, I, I, 0]]);
  assert.deepEqual(run(new ForcedBosProcessor(3), [z], [[0, 1]]), [z]);
  assert.deepEqual(run(new ForcedEosProcessor(4, [1, 2]), [z], [[0, 1, 1]]), [[I, 0, 0, I]]);
  assert.deepEqual(run(new ForcedEosProcessor(4, [1]), [z], [[0, 1]]), [z]);
});

Deno.test("suppress_tokens always, begin_suppress_tokens only at the begin index", () => {
  const z = [1, 2, 3, 4];
  assert.deepEqual(run(new SuppressTokensProcessor([0, 3]), [z], [[0, 1]]), [[I, 2, 3, I]]);
  assert.deepEqual(run(new BeginSuppressTokensProcessor([1], 1), [z], [[0]]), [[1, I, 3, 4]]);
  assert.deepEqual(run(new BeginSuppressTokensProcessor([1], 1), [z], [[0, 2]]), [z]);
});

Deno.test("temperature divides in float32; top_k keeps ties with the k-th value", () => {
  // scores / 0.7 with 0.7 as float32 (0.699999988079071)
  assert.deepEqual(run(new TemperatureWarper(0.7), [[1, 2]], [[0]]), [[
    f(1 / f(0.7)),
    f(2 / f(0.7)),
  ]]);
  // topk(.., 2) of [1,3,2,2] -> kth = 2; scores < 2 removed: [-inf,3,2,2]
  assert.deepEqual(run(new TopKWarper(2), [[1, 3, 2, 2]], [[0]]), [[I, 3, 2, 2]]);
  assert.deepEqual(run(new TopKWarper(2), [[1, 3, 3, 2]], [[0]]), [[I, 3, 3, I]]);
  // min_tokens_to_keep raises k
  assert.deepEqual(run(new TopKWarper(1, 2), [[1, 3, 0, 2]], [[0]]), [[I, 3, I, 2]]);
});

Deno.test("top_p removes the low tail whose cumulative probability is <= 1 - top_p", () => {
  // probs .1 .2 .3 .4 (logits = log p): ascending cumsum .1 .3 .6 1.0; 1 - 0.8 = .2 -> only
  // the .1 token goes. With top_p 0.35: 1 - .35 = .65 -> .1 .2 .3 go (cum .6 <= .65).
  const logp = [0.1, 0.2, 0.3, 0.4].map(Math.log);
  const kept = (p: TopPWarper): boolean[] => run(p, [logp], [[0]])[0].map((x) => x !== I);
  assert.deepEqual(kept(new TopPWarper(0.8)), [false, true, true, true]);
  assert.deepEqual(kept(new TopPWarper(0.35)), [false, false, false, true]);
  // min_tokens_to_keep 2 keeps the two best even when the mass says one
  assert.deepEqual(kept(new TopPWarper(0.35, 2)), [false, false, true, true]);
  // top_p 1 keeps all
  assert.deepEqual(kept(new TopPWarper(1)), [true, true, true, true]);
});

Deno.test("the builder orders processors and warpers as v4.27's _get_logits_processor/_warper", () => {
  const c = resolveGenerationConfig(undefined, {
    eos_token_id: 2,
    repetition_penalty: 1.2,
    no_repeat_ngram_size: 2,
    bad_words_ids: [[5]],
    min_length: 3,
    min_new_tokens: 2,
    forced_bos_token_id: 0,
    forced_eos_token_id: 2,
    remove_invalid_values: true,
    exponential_decay_length_penalty: [2, 1.1],
    suppress_tokens: [7],
    begin_suppress_tokens: [8],
    forced_decoder_ids: [[1, 4]],
    renormalize_logits: true,
    do_sample: true,
    temperature: 0.5,
    top_k: 5,
    top_p: 0.9,
  });
  assert.deepEqual(buildLogitsProcessors(c, 1, 20).map((p) => p.constructor.name), [
    "RepetitionPenaltyProcessor",
    "NoRepeatNGramProcessor",
    "BadWordsProcessor",
    "MinLengthProcessor",
    "MinNewTokensProcessor",
    "ForcedBosProcessor",
    "ForcedEosProcessor",
    "InfNanRemoveProcessor",
    "ExponentialDecayLengthPenaltyProcessor",
    "SuppressTokensProcessor",
    "BeginSuppressTokensProcessor",
    "ForceTokensProcessor",
    "LogitNormalizationProcessor",
  ]);
  assert.deepEqual(buildLogitsWarpers(c).map((p) => p.constructor.name), [
    "TemperatureWarper",
    "TopKWarper",
    "TopPWarper",
    "LogitNormalizationProcessor",
  ]);
  // begin index: prompt 1 with forced_bos -> 2, plus the last forced_decoder_ids index 1 -> 3
  const begin = buildLogitsProcessors(c, 1, 20)[10];
  const s = new Float32Array(10);
  begin.process(s, [[1, 0, 4]]);
  assert.equal(s[8], I);
  const defaults = resolveGenerationConfig(undefined, { eos_token_id: 2 });
  assert.deepEqual(buildLogitsProcessors(defaults, 1, 20), []);
  assert.deepEqual(buildLogitsWarpers(defaults).map((p) => p.constructor.name), ["TopKWarper"]);
});
