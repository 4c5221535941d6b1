import assert from "node:assert/strict";
import {
  checkGenerationLimits,
  DEFAULT_GENERATION_LIMITS,
  estimateGenerationMemory,
  formatBytes,
  type LimitedConfig,
} from "./generation_limits.ts";

const base: LimitedConfig = {
  max_length: 20,
  max_new_tokens: null,
  num_beams: 1,
  num_return_sequences: 1,
  do_sample: false,
  output_scores: false,
  limits: null,
};

Deno.test("estimateGenerationMemory counts rows x vocab logits and the self-attention cache", () => {
  const decoder = { vocabSize: 1000, numLayers: 2, hiddenSize: 8 };
  // beam search: rows = images x beams; length = max_new_tokens + the start token
  const beam = estimateGenerationMemory({ ...base, num_beams: 4, max_new_tokens: 9 }, {
    images: 3,
    decoder,
  });
  assert.equal(beam.rows, 12);
  assert.equal(beam.logits, 2 * 12 * 1000 * 4);
  assert.equal(beam.cache, 2 * 2 * 2 * 12 * 8 * 10 * 4);
  assert.equal(beam.scores, 0);
  assert.equal(beam.total, beam.logits + beam.cache!);
  // sampling: rows = images x num_return_sequences; output_scores keeps one copy per step
  const sample = estimateGenerationMemory({
    ...base,
    do_sample: true,
    num_return_sequences: 5,
    output_scores: true,
  }, { images: 2, decoder });
  assert.equal(sample.rows, 10);
  assert.equal(sample.scores, 10 * 1000 * 4 * 20);
  // greedy ignores num_return_sequences (1 by validation anyway); no decoder: no cache term
  const greedy = estimateGenerationMemory(base);
  assert.equal(greedy.rows, 1);
  assert.equal(greedy.cache, null);
});

Deno.test("checkGenerationLimits refuses the runaway cases of issue 10 before anything runs", () => {
  const gpt2 = { vocabSize: 50257, numLayers: 12, hiddenSize: 768 };
  const cases: [Partial<LimitedConfig>, RegExp][] = [
    [{ num_beams: 100000 }, /num_beams 100000 is over vedge's limit of 64/],
    [{ do_sample: true, num_return_sequences: 100000 }, /num_return_sequences 100000/],
    [{ num_beams: 1e6 }, /num_beams 1000000/],
    [{ max_new_tokens: 100000 }, /max_new_tokens 100000 .* limit of 4096/],
    [{ max_length: 100000 }, /max_length 100000/],
    // under every cap, over the memory budget: 5000 draws x 8 images x 50257 logits
    [{ do_sample: true, num_return_sequences: 5000 }, /Generation would need about .*\(40000 rows/],
    // under every cap, over the memory budget: 64 beams x 8 images over 4000 tokens
    [{ num_beams: 64, max_new_tokens: 4000 }, /Generation would need about/],
  ];
  for (const [over, re] of cases) {
    assert.throws(
      () => checkGenerationLimits({ ...base, ...over }, { images: 8, decoder: gpt2 }),
      (e: Error) => e instanceof RangeError && re.test(e.message),
      JSON.stringify(over),
    );
  }
  // real use passes: beam 4, 8 images, 40 tokens on a real-size GPT2 decoder
  checkGenerationLimits({ ...base, num_beams: 4, max_new_tokens: 40 }, {
    images: 8,
    decoder: gpt2,
  });
  // the limits are the caller's to move, both ways
  checkGenerationLimits({ ...base, num_beams: 100, limits: { max_num_beams: 100 } });
  assert.throws(
    () => checkGenerationLimits({ ...base, num_beams: 4, limits: { max_num_beams: 2 } }),
    /num_beams 4 is over vedge's limit of 2 \(raise it with the generation option limits.max_num_beams\)/,
  );
  assert.throws(
    () =>
      checkGenerationLimits({ ...base, limits: { max_memory: 1000 } }, {
        decoder: gpt2,
      }),
    /over the limit of 1000 B/,
  );
  assert.equal(DEFAULT_GENERATION_LIMITS.max_num_beams, 64);
});

Deno.test("formatBytes uses binary units", () => {
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(4 * 1024 ** 3), "4.0 GiB");
});
