/**
 * Test support for the families checked against numpy ports of transformers v4.27 (imported only
 * by `*_test.ts` files): loads tests/fixtures/families/<name>.{safetensors,json} (made by
 * make_family_fixtures.py there) and runs a decoder family's cross_kv + decoder_step graphs over
 * the fixture's cases: the whole sequence at past 0, token by token with the cache, and 4 rows
 * over 2 images in one run.
 * @module
 */

import * as ort from "onnxruntime-web";
import { readSafetensors } from "../../src/weights/safetensors.ts";
import type { WeightTensor } from "../../src/weights/weight_tensor.ts";
import { buildCrossKv } from "../../src/families/shared/cross_kv.ts";
import { decoderFamily } from "../../src/families/index.ts";
import { parseModelConfig } from "../../src/config/config_registry.ts";
import type { PretrainedConfigFields } from "../../src/config/pretrained_config.ts";
import {
  emptyDecoderPast,
  encoderCacheFeeds,
  type Feeds,
  floatTensor,
  type GoldenTensor,
  int64Tensor,
  maxAbsDiff,
  session,
} from "./golden_fixtures.ts";

/** A family fixture: config fields, weights and the reference's inputs/outputs. */
export interface FamilyFixture {
  config: Record<string, unknown>;
  /** The config parsed by its family (defaults applied): what the builders take. */
  fields: PretrainedConfigFields;
  weights: Map<string, WeightTensor>;
  doc: Record<string, unknown>;
}

const DIR = new URL("../../tests/fixtures/families/", import.meta.url);

/**
 * Loads tests/fixtures/families/<name>.
 * @param name "deit", "swin", "bert", "roberta", "bart" or "mbart"
 * @returns the fixture
 */
export async function loadFamilyFixture(name: string): Promise<FamilyFixture> {
  const doc = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, DIR)));
  const bytes = await Deno.readFile(new URL(`${name}.safetensors`, DIR));
  return {
    config: doc.config,
    fields: parseModelConfig(doc.config).fields,
    weights: readSafetensors(bytes, `${name}.safetensors`).tensors,
    doc,
  };
}

/** Max abs diffs of a decoder against its reference. */
export interface DecoderCaseDiffs {
  full: number;
  stepped: number;
  batch: number;
}

/**
 * Runs a registered decoder family on its fixture's cases.
 * @param fx the fixture (config.model_type picks the family)
 * @returns max abs diffs of the full-sequence, stepped and 4-row logits
 */
export async function decoderCases(fx: FamilyFixture): Promise<DecoderCaseDiffs> {
  const family = decoderFamily(fx.config.model_type as string);
  const projector = family.crossKv(fx.fields, { prefix: "decoder." });
  const { layers, heads, headDim, hidden } = projector.geometry;
  const crossKv = await session(
    buildCrossKv(projector, fx.weights, { encoderHidden: hidden, encToDecProj: false }).toBytes(),
  );
  const step = await session(family.decoderStep(fx.fields, fx.weights, {}).toBytes());
  const enc = fx.doc.encoder_hidden_states as GoldenTensor;
  const perImage = enc.dims[1] * enc.dims[2];
  const encoderKv = async (images: number[]): Promise<Feeds> => {
    const data = images.flatMap((i) => enc.data.slice(i * perImage, (i + 1) * perImage));
    const out = await crossKv.run({
      encoder_hidden_states: new ort.Tensor("float32", Float32Array.from(data), [
        images.length,
        ...enc.dims.slice(1),
      ]),
    });
    return encoderCacheFeeds(out, layers);
  };
  const emptyPast = (rows: number): Feeds => emptyDecoderPast(rows, layers, heads, headDim);
  const ids = fx.doc.input_ids as number[];
  const image0 = await encoderKv([0]);
  const full = await step.run({
    ...image0,
    ...emptyPast(1),
    input_ids: int64Tensor(ids, [1, ids.length]),
  });
  const fullDiff = maxAbsDiff(full.logits, fx.doc.logits as GoldenTensor);

  const want = fx.doc.stepped_logits as GoldenTensor;
  const vocab = want.dims[2];
  const stepped = new Float32Array(ids.length * vocab);
  let past = emptyPast(1);
  for (let t = 0; t < ids.length; t++) {
    const out = await step.run({ ...image0, ...past, input_ids: int64Tensor([ids[t]], [1, 1]) });
    stepped.set(out.logits.data as Float32Array, t * vocab);
    past = {};
    for (let i = 0; i < layers; i++) {
      past[`past_key_values.${i}.decoder.key`] = out[`present.${i}.decoder.key`];
      past[`past_key_values.${i}.decoder.value`] = out[`present.${i}.decoder.value`];
    }
  }
  const steppedDiff = maxAbsDiff(new ort.Tensor("float32", stepped, want.dims), want);

  const rows = fx.doc.batch_rows as { image: number; input_ids: number[] }[];
  const batch = await step.run({
    ...(await encoderKv([0, 1])),
    ...emptyPast(rows.length),
    input_ids: int64Tensor(rows.flatMap((r) => r.input_ids), [rows.length, 3]),
  });
  const batchDiff = maxAbsDiff(batch.logits, fx.doc.batch_logits as GoldenTensor);
  await crossKv.release();
  await step.release();
  return { full: fullDiff, stepped: steppedDiff, batch: batchDiff };
}

/**
 * Runs an encoder graph on the fixture's pixel values.
 * @param bytes the encoder_model ONNX bytes
 * @param fx the fixture
 * @param key which expected output to compare with (default "last_hidden_state")
 * @returns max abs diff
 */
export async function encoderCase(
  bytes: Uint8Array,
  fx: FamilyFixture,
  key = "last_hidden_state",
): Promise<number> {
  const s = await session(bytes);
  const out = await s.run({ pixel_values: floatTensor(fx.doc.pixel_values as GoldenTensor) });
  await s.release();
  return maxAbsDiff(out.last_hidden_state, fx.doc[key] as GoldenTensor);
}
