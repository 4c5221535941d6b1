/**
 * Test support for the model-family graphs (imported only by `*_test.ts` files): loads a fixture
 * model (config.json, model.safetensors) and its golden file, runs graphs on onnxruntime-web with
 * one thread, and measures differences against the goldens.
 * @module
 */

import * as ort from "onnxruntime-web";
import { VisionEncoderDecoderConfig } from "../../src/config/vision_encoder_decoder_config.ts";
import { readSafetensors } from "../../src/weights/safetensors.ts";
import { type Golden, golden, type GoldenTensor, maxAbsDiff } from "./goldens.ts";

export { type Golden, type GoldenTensor, maxAbsDiff };
import type { WeightTensor } from "../../src/weights/weight_tensor.ts";

/** A fixture model and its golden. */
export interface Fixture {
  config: Record<string, unknown> & {
    encoder: Record<string, unknown>;
    decoder: Record<string, unknown>;
  };
  /** config.json parsed: the families' builders take `parsed.encoder.fields` etc. */
  parsed: VisionEncoderDecoderConfig;
  weights: Map<string, WeightTensor>;
  golden: Golden;
}

const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);

/**
 * Loads tests/fixtures/models/<name> and goldens/<name>.json.
 * @param name "vit-gpt2" or "trocr"
 * @returns config, weights and golden
 */
export async function loadFixture(name: string): Promise<Fixture> {
  const dir = new URL(`models/${name}/`, FIXTURES);
  const config = JSON.parse(await Deno.readTextFile(new URL("config.json", dir)));
  const bytes = await Deno.readFile(new URL("model.safetensors", dir));
  const weights = readSafetensors(bytes, `${name}/model.safetensors`).tensors;
  return {
    config,
    parsed: VisionEncoderDecoderConfig.fromDict(config),
    weights,
    golden: await golden(name),
  };
}

/**
 * Creates a one-thread wasm session.
 * @param bytes the ONNX model
 * @returns the session
 */
export function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
}

/**
 * A float32 tensor from a golden tensor.
 * @param t the golden tensor
 * @returns the ORT tensor
 */
export function floatTensor(t: GoldenTensor): ort.Tensor {
  return new ort.Tensor("float32", Float32Array.from(t.data), t.dims);
}

/**
 * An int64 tensor.
 * @param values row-major values
 * @param dims shape
 * @returns the ORT tensor
 */
export function int64Tensor(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/**
 * An empty float32 tensor (a past of length 0).
 * @param dims shape with a 0 in it
 * @returns the ORT tensor
 */
export function emptyFloat(dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", new Float32Array(0), dims);
}

/** Max abs diffs of the three decoder checks. */
export interface DecoderParity {
  /** Full-sequence logits (past 0) vs the golden decoder_logits. */
  fullSequence: number;
  /** Logits from stepping one token at a time with the cache vs the golden. */
  stepped: number;
  /** 2 images x 3 rows in one run vs each row run alone. */
  broadcast: number;
}

/** Decoder feeds by name. */
export type Feeds = Record<string, ort.Tensor>;

/**
 * A cross_kv graph's outputs renamed as the step's encoder-cache inputs.
 * @param out the cross_kv run's outputs (`present.{i}.encoder.key|value`)
 * @param layers decoder layers
 * @returns `past_key_values.{i}.encoder.key|value` feeds
 */
export function encoderCacheFeeds(out: Feeds, layers: number): Feeds {
  const feeds: Feeds = {};
  for (let i = 0; i < layers; i++) {
    feeds[`past_key_values.${i}.encoder.key`] = out[`present.${i}.encoder.key`];
    feeds[`past_key_values.${i}.encoder.value`] = out[`present.${i}.encoder.value`];
  }
  return feeds;
}

/**
 * An empty self-attention cache for the first step.
 * @param rows batch rows
 * @param layers decoder layers
 * @param heads attention heads
 * @param headDim size of one head
 * @returns `past_key_values.{i}.decoder.key|value` feeds of length 0
 */
export function emptyDecoderPast(
  rows: number,
  layers: number,
  heads: number,
  headDim: number,
): Feeds {
  const feeds: Feeds = {};
  for (let i = 0; i < layers; i++) {
    feeds[`past_key_values.${i}.decoder.key`] = emptyFloat([rows, heads, 0, headDim]);
    feeds[`past_key_values.${i}.decoder.value`] = emptyFloat([rows, heads, 0, headDim]);
  }
  return feeds;
}

/**
 * Runs a decoder's cross_kv and decoder_step graphs against a fixture's golden logits (encoder
 * states taken from the golden encoder_last_hidden_state).
 * @param fx the fixture
 * @param crossKvBytes the cross_kv model
 * @param stepBytes the decoder_step model
 * @param geometry layers, heads, headDim
 * @returns the measured max abs diffs
 */
export async function decoderParity(
  fx: Fixture,
  crossKvBytes: Uint8Array,
  stepBytes: Uint8Array,
  geometry: { layers: number; heads: number; headDim: number },
): Promise<DecoderParity> {
  const { layers, heads, headDim } = geometry;
  const crossKv = await session(crossKvBytes);
  const step = await session(stepBytes);
  const encoderKv = async (images: string[]): Promise<Feeds> => {
    const states = images.map((i) => fx.golden.encoder_last_hidden_state[i]);
    const data = states.flatMap((s) => s.data);
    const dims = [images.length, ...states[0].dims.slice(1)];
    const out = await crossKv.run({
      encoder_hidden_states: new ort.Tensor("float32", Float32Array.from(data), dims),
    });
    return encoderCacheFeeds(out, layers);
  };
  const emptyPast = (rows: number): Feeds => emptyDecoderPast(rows, layers, heads, headDim);
  const { decoder_input_ids: [ids], logits: want, image } = fx.golden.decoder_logits;
  const enc = await encoderKv([image]);

  const full = await step.run({
    ...enc,
    ...emptyPast(1),
    input_ids: int64Tensor(ids, [1, ids.length]),
  });
  const fullSequence = maxAbsDiff(full.logits, want);

  let past = emptyPast(1);
  const vocab = want.dims[2];
  const stepped = new Float32Array(ids.length * vocab);
  for (let t = 0; t < ids.length; t++) {
    const out = await step.run({ ...enc, ...past, input_ids: int64Tensor([ids[t]], [1, 1]) });
    stepped.set(out.logits.data as Float32Array, t * vocab);
    past = {};
    for (let i = 0; i < layers; i++) {
      past[`past_key_values.${i}.decoder.key`] = out[`present.${i}.decoder.key`];
      past[`past_key_values.${i}.decoder.value`] = out[`present.${i}.decoder.value`];
    }
  }
  const steppedDiff = maxAbsDiff(new ort.Tensor("float32", stepped, want.dims), want);

  // 2 images x 3 rows, each row a different 3-token window of the golden ids.
  const n = 3;
  const rows = [0, 1, 2, 3, 4, 1].map((s) => ids.slice(s, s + n));
  const images = ["probe.png", "probe2.png"];
  const together = await step.run({
    ...(await encoderKv(images)),
    ...emptyPast(rows.length),
    input_ids: int64Tensor(rows.flat(), [rows.length, n]),
  });
  let broadcast = 0;
  for (let r = 0; r < rows.length; r++) {
    const alone = await step.run({
      ...(await encoderKv([images[Math.floor(r / 3)]])),
      ...emptyPast(1),
      input_ids: int64Tensor(rows[r], [1, n]),
    });
    const all = together.logits.data as Float32Array;
    const row = all.subarray(r * n * vocab, (r + 1) * n * vocab);
    broadcast = Math.max(broadcast, maxAbsDiff(alone.logits, { dims: [1, n, vocab], data: row }));
  }
  // The check has teeth only if the images matter: rows 1 (image 0) and 5 (image 1) hold the
  // same tokens, so their logits must differ.
  const all = together.logits.data as Float32Array;
  const size = n * vocab;
  if (all.subarray(size, 2 * size).every((v, i) => v === all[5 * size + i])) {
    throw new Error("broadcast check: the same tokens on two images gave identical logits");
  }
  await crossKv.release();
  await step.release();
  return { fullSequence, stepped: steppedDiff, broadcast };
}
