import assert from "node:assert/strict";
import {
  defaultGenerationConfig,
  eosTokenIds,
  generationConfigFromModelConfig,
  parseGenerationConfig,
  resolveGenerationConfig,
  validateGenerationConfig,
  validateGenerationOptions,
  VEDGE_GENERATION_FIELDS,
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

/** vedge's own fields (seed, limits) aside: Python's GenerationConfig has neither. */
function withoutSeed(c: object): Record<string, unknown> {
  const o = { ...c } as Record<string, unknown>;
  for (const k of VEDGE_GENERATION_FIELDS) delete o[k];
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

Deno.test("validateGenerationOptions checks given fields alone, before the model's defaults", () => {
  // fine on their own: the model may set num_beams 4 or do_sample
  validateGenerationOptions({ num_return_sequences: 3 }, { temperature: 0 });
  const bad: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
    [{ num_beams: 0 }, RangeError, /num_beams must be >= 1, got 0/],
    [{ numBeams: 100000 }, RangeError, /num_beams 100000 is over vedge's limit of 64/],
    [{ num_return_sequences: 100000 }, RangeError, /num_return_sequences 100000 .* limit of 10000/],
    [{ max_new_tokens: 0 }, RangeError, /max_new_tokens must be >= 1, got 0/],
    [{ max_new_tokens: 1e6 }, RangeError, /max_new_tokens 1000000 .* limit of 4096/],
    [{ max_length: 5000 }, RangeError, /max_length 5000 .* limit of 4096/],
    [{ top_p: 2 }, RangeError, /top_p must be in/],
    [{ numBeems: 2 }, TypeError, /Unknown generation option "numBeems"/],
    [{ limits: { max_beams: 2 } }, TypeError, /Unknown limit "max_beams"/],
    [{ limits: { maxMemory: -1 } }, RangeError, /limits.max_memory must be a positive number/],
    [{ limits: { max_num_beams: 2.5 } }, RangeError, /limits.max_num_beams must be an integer/],
    [{ limits: 5 }, TypeError, /limits must be an object/],
  ];
  for (const [opts, Ctor, re] of bad) {
    assert.throws(() => validateGenerationOptions(opts), (e: Error) => {
      assert.ok(e instanceof Ctor, `${JSON.stringify(opts)} -> ${e.name}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
  // max_length is not capped when max_new_tokens decides the length
  validateGenerationOptions({ max_length: 5000, max_new_tokens: 10 });
});

Deno.test("limits are raised per call, never by a model's files", () => {
  const c = resolveGenerationConfig(undefined, {
    numBeams: 100,
    limits: { maxNumBeams: 128 },
  });
  assert.deepEqual(c.limits, { max_num_beams: 128 });
  assert.equal(c.num_beams, 100);
  const fromFile = parseGenerationConfig({ num_beams: 4, limits: { max_num_beams: 1e9 } });
  assert.equal(fromFile.limits, null, "generation_config.json cannot raise the limits");
  assert.throws(
    () => resolveGenerationConfig(fromFile, { num_beams: 1e6 }),
    /num_beams 1000000 is over vedge's limit of 64/,
  );
  const derived = generationConfigFromModelConfig({ limits: { max_num_beams: 1e9 } });
  assert.equal(derived.limits, null, "config.json cannot raise the limits");
});

Deno.test("validateGenerationConfig with the decoder's shape checks the memory estimate", () => {
  // vit-gpt2 real size: 12 layers, 768 wide, 50257 logits
  const decoder = { vocabSize: 50257, numLayers: 12, hiddenSize: 768 };
  const c = resolveGenerationConfig(undefined, { numBeams: 64, maxNewTokens: 60 });
  validateGenerationConfig(c, { images: 1, decoder });
  assert.throws(
    () => validateGenerationConfig(c, { images: 8, decoder }),
    (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /would need about .* \(512 rows of 50257 logits over 61 tokens/);
      assert.match(e.message, /over the limit of 4\.0 GiB/);
      return true;
    },
  );
  const raised = resolveGenerationConfig(c, { limits: { max_memory: 16 * 1024 ** 3 } });
  validateGenerationConfig(raised, { images: 8, decoder });
});
