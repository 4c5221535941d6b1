/**
 * Hostile and invalid configs (issue 10's "Messages" cases): every field is checked once against
 * its table entry's constraint, and the refusal is one line naming the file, the field and the
 * value; keys that collide with Object.prototype are ordinary fields. The limits are vedge's
 * (Python accepts these configs and fails later, or not at all and computes garbage).
 */
import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { initWeights } from "../families/init_weights.ts";
import { checkWeightSpecs, specProblems } from "../families/shared/weight_specs.ts";
import { visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { memoryFiles } from "../hub/model_files.ts";
import { loadModelConfig } from "./load_model_config.ts";
import { VisionEncoderDecoderConfig } from "./vision_encoder_decoder_config.ts";

const FIXTURE = new URL("../../tests/fixtures/models/vit-gpt2/config.json", import.meta.url);
const base = async (): Promise<Record<string, Record<string, unknown>>> =>
  JSON.parse(await Deno.readTextFile(FIXTURE));

type Edit = (c: Record<string, Record<string, unknown>>) => void;

async function refusal(edit: Edit): Promise<string> {
  const c = await base();
  edit(c);
  const files = memoryFiles("./m", { "config.json": JSON.stringify(c) });
  const e = await loadModelConfig(files).then(() => null, (e: unknown) => e);
  assert.ok(e instanceof ModelLoadError, `expected a ModelLoadError, got ${e}`);
  assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
  assert.match(e.message, /config\.json of \.\/m/, "names the file");
  return e.message;
}

Deno.test("config keys named like Object.prototype members are ordinary fields, kept on save", async () => {
  for (const key of ["constructor", "toString", "hasOwnProperty", "valueOf", "__proto__"]) {
    for (const part of ["top", "encoder", "decoder"] as const) {
      const c = await base();
      const target = part === "top" ? c : c[part];
      Object.defineProperty(target, key, { value: 7, enumerable: true, configurable: true });
      const config = VisionEncoderDecoderConfig.fromDict(c);
      const json = config.toJSON() as Record<string, Record<string, unknown>>;
      const saved = part === "top" ? json : json[part];
      assert.ok(Object.hasOwn(saved, key), `${part}.${key} kept`);
      assert.equal(saved[key], 7);
      assert.equal(Object.getPrototypeOf(saved), Object.prototype, "prototype untouched");
    }
  }
});

Deno.test("sizes must be positive: vocab_size -5, image_size 0, layers -1 or 0 are refused by name", async () => {
  const cases: [Edit, RegExp][] = [
    [
      (c) => (c.decoder.vocab_size = -5),
      /"vocab_size" must be an integer in \[1, \d+\], found the number -5/,
    ],
    [(c) => (c.encoder.image_size = 0), /"image_size" must be .* found the number 0/],
    [
      (c) => (c.encoder.image_size = [32, 0]),
      /"image_size" .*each in \[1, \d+\].*found the array \[32,0\]/,
    ],
    [(c) => (c.encoder.num_hidden_layers = -1), /"num_hidden_layers" must be .* -1/],
    [
      (c) => (c.decoder.n_layer = 0),
      /"n_layer" must be an integer in \[1, 1024\], found the number 0/,
    ],
    [
      (c) => (c.decoder.num_hidden_layers = 0),
      /"num_hidden_layers" \(alias of "n_layer"\) must be/,
    ],
    [
      (c) => (c.encoder.patch_size = 64),
      /patch_size \[64,64\] is larger than image_size \[32,32\]/,
    ],
  ];
  for (const [edit, want] of cases) assert.match(await refusal(edit), want);
});

Deno.test("an absurd layer count is refused at once, in one line, before anything is built", async () => {
  const t0 = performance.now();
  const message = await refusal((c) => (c.decoder.n_layer = 100000));
  assert.match(message, /"n_layer" must be an integer in \[1, 1024\], found the number 100000/);
  assert.ok(performance.now() - t0 < 1000);
});

Deno.test("probabilities, epsilons and activation names are checked against their ranges", async () => {
  assert.match(
    await refusal((c) => (c.encoder.hidden_dropout_prob = 2)),
    /"hidden_dropout_prob" must be a finite number in \[0, 1\], found the number 2/,
  );
  assert.match(
    await refusal((c) => (c.decoder.layer_norm_epsilon = -1e-5)),
    /"layer_norm_epsilon" must be a finite number at least 0/,
  );
  assert.match(
    await refusal((c) => (c.decoder.activation_function = "swishy")),
    /"activation_function" must be a string \(one of "gelu", .*found the string "swishy"/,
  );
});

Deno.test("token ids fed to the decoder must lie in [0, vocab_size)", async () => {
  // onnxruntime's Gather wraps -1 to the last row: it must never reach a graph.
  assert.match(
    await refusal((c) => ((c as Record<string, unknown>).decoder_start_token_id = -1)),
    /"decoder_start_token_id" must be an integer at least 0 or null, found the number -1/,
  );
  assert.match(
    await refusal((c) => ((c as Record<string, unknown>).decoder_start_token_id = 50257)),
    /"decoder_start_token_id" is 50257, outside the decoder's vocabulary \[0, 50257\)/,
  );
  assert.match(
    await refusal((c) => (c.decoder.pad_token_id = 60000)),
    /"pad_token_id" is 60000, outside the decoder's vocabulary \[0, 50257\)/,
  );
  assert.match(
    await refusal((c) => (c.decoder.eos_token_id = [50256, -3])),
    /"eos_token_id" must be an integer or an array of integers, each at least 0/,
  );
});

Deno.test("a float parameter stored as integers is a problem, not silently converted", async () => {
  const config = VisionEncoderDecoderConfig.fromDict(await base());
  const specs = visionEncoderDecoderWeightSpecs(config);
  const weights = initWeights(config, { seed: 0 });
  const name = "decoder.transformer.ln_f.weight";
  const t = weights.get(name)!;
  weights.set(name, { dtype: "I32", shape: t.shape, data: t.data });
  assert.deepEqual(specProblems(specs, weights), [`${name}: expected a float tensor, found I32`]);
});

Deno.test("checkWeightSpecs() lists 20 problems and counts the rest", async () => {
  const config = VisionEncoderDecoderConfig.fromDict(await base());
  const specs = visionEncoderDecoderWeightSpecs(config);
  const e = (() => {
    try {
      checkWeightSpecs(specs, new Map(), "an empty checkpoint");
    } catch (e) {
      return e as Error;
    }
  })();
  assert.ok(e instanceof ModelLoadError);
  const lines = e.message.split("\n");
  assert.equal(lines.length, 22);
  assert.match(lines[21], /^ {2}\.\.\. and \d+ more$/);
});

Deno.test("initWeights() refuses a model over the size limit before allocating", async () => {
  const c = await base();
  c.decoder.vocab_size = 4_000_000;
  c.decoder.n_embd = 4096;
  c.decoder.n_head = 32;
  const config = VisionEncoderDecoderConfig.fromDict(c);
  assert.throws(
    () => initWeights(config, { seed: 0 }),
    /GiB at random: more than the 16 GiB limit/,
  );
});
