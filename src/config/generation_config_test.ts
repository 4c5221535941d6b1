import assert from "node:assert/strict";
import {
  defaultGenerationConfig,
  eosTokenIds,
  generationConfigFromModelConfig,
  parseGenerationConfig,
  resolveGenerationConfig,
} from "./generation_config.ts";

const fixture = (p: string): unknown =>
  JSON.parse(Deno.readTextFileSync(new URL(`../../tests/fixtures/${p}`, import.meta.url)));

/** The golden's generation_config (saved by Python's GenerationConfig) minus bookkeeping keys. */
function goldenConfig(model: string): Record<string, unknown> {
  const g = (fixture(`goldens/${model}.json`) as { generation_config: Record<string, unknown> })
    .generation_config;
  const out = { ...g };
  for (const k of ["_from_model_config", "transformers_version", "generation_kwargs"]) {
    delete out[k];
  }
  return out;
}

function withoutSeed(c: object): Record<string, unknown> {
  const o = { ...c } as Record<string, unknown>;
  delete o.seed;
  return o;
}

Deno.test("defaults equal Python's GenerationConfig() (fields as the golden lists them)", () => {
  const golden = goldenConfig("vit-gpt2");
  const d = withoutSeed(defaultGenerationConfig());
  for (const k of ["pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id"]) {
    golden[k] = null;
  }
  assert.deepEqual(d, golden);
});

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`parseGenerationConfig reads ${model}'s generation_config.json as Python does`, () => {
    const c = parseGenerationConfig(fixture(`models/${model}/generation_config.json`));
    assert.deepEqual(withoutSeed(c), goldenConfig(model));
  });
  Deno.test(`generationConfigFromModelConfig derives ${model}'s config like from_model_config`, () => {
    // trocr's top-level config has no bos_token_id: it comes from the decoder section (0)
    const c = generationConfigFromModelConfig(fixture(`models/${model}/config.json`));
    assert.deepEqual(withoutSeed(c), goldenConfig(model));
  });
}

Deno.test("options merge in camelCase and snake_case, later objects winning", () => {
  const base = parseGenerationConfig({ eos_token_id: 2, num_beams: 2 });
  const c = resolveGenerationConfig(base, { num_beams: 4, bad_words_ids: [[11]] }, {
    numBeams: 3,
    maxNewTokens: 7,
    earlyStopping: "never",
    lengthPenalty: undefined,
  });
  assert.equal(c.num_beams, 3);
  assert.equal(c.max_new_tokens, 7);
  assert.equal(c.early_stopping, "never");
  assert.equal(c.length_penalty, 1);
  assert.deepEqual(c.bad_words_ids, [[11]]);
  assert.equal(base.num_beams, 2, "base not mutated");
  assert.deepEqual(eosTokenIds(c), [2]);
});

Deno.test("validation names the option and the value", () => {
  const bad: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
    [{ numBeams: 0 }, RangeError, /num_beams must be >= 1, got 0/],
    [{ numBeams: 2.5 }, RangeError, /num_beams must be an integer, got 2.5/],
    [{ numBeams: "4" }, TypeError, /num_beams must be an integer, got "4"/],
    [{ maxNewTokens: -1 }, RangeError, /max_new_tokens must be >= 1, got -1/],
    [{ minLength: -2 }, RangeError, /min_length must be >= 0, got -2/],
    [
      { numBeams: 2, numReturnSequences: 3 },
      RangeError,
      /num_return_sequences \(3\).*num_beams \(2\)/,
    ],
    [{ numReturnSequences: 2 }, RangeError, /num_return_sequences must be 1 in greedy/],
    [{ topP: 0 }, RangeError, /top_p must be in \(0, 1\], got 0/],
    [{ topP: 1.5 }, RangeError, /top_p .* got 1.5/],
    [
      { doSample: true, temperature: 0 },
      RangeError,
      /temperature must be > 0 when sampling, got 0/,
    ],
    [{ doSample: true, temperature: -1 }, RangeError, /temperature .* got -1/],
    [{ repetitionPenalty: 0 }, RangeError, /repetition_penalty must be > 0, got 0/],
    [{ numBeems: 4 }, TypeError, /Unknown generation option "numBeems"/],
    [{ numBeamGroups: 2, numBeams: 4 }, RangeError, /num_beam_groups 2 .* not supported/],
    [{ penaltyAlpha: 0.6 }, RangeError, /penalty_alpha 0.6 .* not supported/],
    [{ constraints: [1] }, RangeError, /constraints .* not supported/],
    [{ force_words_ids: [[1]] }, RangeError, /force_words_ids .* not supported/],
    [{ earlyStopping: "sometimes" }, TypeError, /early_stopping must be true, false or "never"/],
    [{ badWordsIds: [[]] }, RangeError, /bad_words_ids must not hold an empty list/],
    [{ badWordsIds: [[-1]] }, RangeError, /bad_words_ids .* got -1/],
    [{ eosTokenId: 1.5 }, RangeError, /eos_token_id .* got 1.5/],
    [{ temperature: NaN }, TypeError, /temperature must be a finite number/],
    [{ doSample: true, numBeams: 2 }, RangeError, /beam sample.* not supported/],
  ];
  for (const [opts, Ctor, re] of bad) {
    assert.throws(() => resolveGenerationConfig(undefined, opts), (e: Error) => {
      assert.ok(e instanceof Ctor, `${JSON.stringify(opts)} -> ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
});

Deno.test("options Python accepts without effect are accepted", () => {
  const c = resolveGenerationConfig(undefined, {
    use_cache: false,
    return_dict_in_generate: true,
    typical_p: 0.5, // a warper: no effect without sampling
    temperature: 0, // no effect without sampling
    diversity_penalty: 0,
  });
  assert.equal(c.use_cache, false);
});
