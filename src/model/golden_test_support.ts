/**
 * Test support for the model-family graphs (imported only by `*_test.ts` files): loads a fixture
 * model (config.json, model.safetensors) and its golden file, runs graphs on onnxruntime-web with
 * one thread, and measures differences against the goldens.
 * @module
 */

import * as ort from "onnxruntime-web";
import { readSafetensors } from "../weights/safetensors.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";

/** A golden tensor as the oracle writes it. */
export interface GoldenTensor {
  dims: number[];
  data: number[];
}

/** The parts of a golden file these tests read. */
export interface Golden {
  pixel_values: Record<string, GoldenTensor>;
  encoder_last_hidden_state: Record<string, GoldenTensor>;
  decoder_logits: { image: string; decoder_input_ids: number[][]; logits: GoldenTensor };
}

/** A fixture model and its golden. */
export interface Fixture {
  config: Record<string, unknown> & {
    encoder: Record<string, unknown>;
    decoder: Record<string, unknown>;
  };
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
  const golden = JSON.parse(await Deno.readTextFile(new URL(`goldens/${name}.json`, FIXTURES)));
  return { config, weights, golden };
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

/**
 * Largest absolute difference, checking the shapes agree.
 * @param got the computed tensor
 * @param want expected values and dims
 * @returns max |got - want|
 */
export function maxAbsDiff(
  got: ort.Tensor,
  want: { dims: readonly number[]; data: ArrayLike<number> },
): number {
  if (got.dims.join(",") !== want.dims.join(",")) {
    throw new RangeError(`shape [${got.dims}] differs from expected [${want.dims}]`);
  }
  const x = got.data as Float32Array;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - want.data[i]));
  return m;
}
