// The baseline must be right before it is a yardstick: it reproduces the golden beam-search ids
// (Hugging Face v4.27 generate(), see tests/fixtures/ORACLE.md) over the shipped decoder pair.
import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { referenceBeamSearch } from "./reference_beam_search.ts";
import { shippedDecoder } from "../engines/reference_beam.ts";
import { type FixtureModel, goldenIds, modelDir, readGolden } from "../support/fixtures.ts";

async function beam(model: FixtureModel, caseName: string): Promise<void> {
  ort.env.wasm.numThreads = 1;
  const golden = await readGolden(model);
  const c = golden.generate.find((g) => g.name === caseName)!;
  const dir = modelDir(model);
  const s = async (f: string) =>
    await ort.InferenceSession.create(await Deno.readFile(new URL(`onnx/${f}`, dir)));
  const [encoder, first, withPast] = await Promise.all(
    ["encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx"].map(s),
  );
  const pv = golden.pixel_values[c.images[0]];
  const { last_hidden_state } = await encoder.run({
    pixel_values: new ort.Tensor("float32", Float32Array.from(pv.data), pv.dims),
  });
  const gc = golden.generation_config;
  const kw = c.kwargs as { num_beams: number; max_new_tokens: number; early_stopping?: boolean };
  const r = await referenceBeamSearch(shippedDecoder(first, withPast, last_hidden_state), {
    num_beams: kw.num_beams,
    max_length: 1 + kw.max_new_tokens,
    decoder_start_token_id: gc.decoder_start_token_id,
    eos_token_id: gc.eos_token_id,
    pad_token_id: gc.pad_token_id,
    early_stopping: kw.early_stopping ?? false,
  });
  assert.deepEqual([r.ids], goldenIds(golden, caseName));
  const want = (c as unknown as { sequences_scores: number[] }).sequences_scores[0];
  assert.ok(Math.abs(r.score - want) < 1e-4, `score ${r.score} vs golden ${want}`);
}

Deno.test("referenceBeamSearch() reproduces the golden beam4 ids of vit-gpt2", async () => {
  await beam("vit-gpt2", "beam4");
});

Deno.test("referenceBeamSearch() reproduces the golden beam4 ids of trocr", async () => {
  await beam("trocr", "beam4");
});

Deno.test("referenceBeamSearch() stops early as the golden early_stopping case does", async () => {
  await beam("vit-gpt2", "beam4_early_stopping");
});
