/**
 * The mixed workload of the concurrency tests: 16 generate calls on one model, every golden case
 * of the fixture (greedy, beam 4, num_return_sequences, no_repeat_ngram, min_new_tokens,
 * repetition_penalty, early_stopping, batches of two) plus seeded sampling calls, with the
 * helpers to run them alone and together.
 * @module
 */
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import type { GenerateOutput } from "../../src/generation/generate.ts";
import type { FloatTensor } from "../../src/tensor.ts";
import { type Golden, golden, type GoldenCase, modelDir } from "../support/goldens.ts";

/** One call of the workload. */
export interface Call {
  name: string;
  images: string[];
  kwargs: Record<string, unknown>;
  /** The golden case this call is, if any. */
  golden: GoldenCase | null;
}

/** Where the model's graphs come from: the ONNX export, or vedge's own graphs. */
export type Source = "onnx" | "safetensors";

const SAMPLING: Omit<Call, "golden">[] = [
  { name: "sample_seed7", images: ["probe.png"], kwargs: { do_sample: true, seed: 7 } },
  {
    name: "sample_nrs3_topk20",
    images: ["probe.jpg"],
    kwargs: { do_sample: true, seed: 3, num_return_sequences: 3, top_k: 20 },
  },
  {
    name: "sample_temp0.7_topp0.9",
    images: ["probe2.png"],
    kwargs: { do_sample: true, seed: 11, temperature: 0.7, top_p: 0.9 },
  },
  {
    name: "sample_batch2_nrs2",
    images: ["probe.png", "probe2.png"],
    kwargs: { do_sample: true, seed: 5, num_return_sequences: 2 },
  },
];

/**
 * The 16 calls for a fixture model: its 12 golden cases and 4 sampling calls.
 * @param g the model's goldens
 * @returns the calls
 */
export function mixedCalls(g: Golden): Call[] {
  const calls: Call[] = g.generate.map((c) => ({
    name: c.name,
    images: c.images,
    kwargs: c.kwargs,
    golden: c,
  }));
  for (const s of SAMPLING) {
    calls.push({ ...s, kwargs: { max_new_tokens: 16, ...s.kwargs }, golden: null });
  }
  if (calls.length !== 16) throw new Error(`expected 16 calls, built ${calls.length}`);
  return calls;
}

/**
 * The golden pixel values of images, stacked.
 * @param g goldens
 * @param images image file names
 * @returns pixel values [images, 3, H, W]
 */
export function pixelsFor(g: Golden, images: string[]): FloatTensor {
  const parts = images.map((i) => g.pixel_values[i]);
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * per));
  return { data, dims: [parts.length, ...parts[0].dims.slice(1)] };
}

/**
 * Loads a fixture model on WASM.
 * @param model fixture name
 * @param from graph source
 * @returns the model and its goldens
 */
export async function loadFixture(
  model: string,
  from: Source,
): Promise<{ model: VisionEncoderDecoderModel; golden: Golden }> {
  const m = await VisionEncoderDecoderModel.fromPretrained(modelDir(model), {
    device: "wasm",
    from,
  });
  return { model: m, golden: await golden(model) };
}

/**
 * Runs calls one after another.
 * @param model the model
 * @param g goldens (pixel values)
 * @param calls the calls
 * @returns each call's output
 */
export async function runSolo(
  model: VisionEncoderDecoderModel,
  g: Golden,
  calls: Call[],
): Promise<GenerateOutput[]> {
  const out: GenerateOutput[] = [];
  for (const c of calls) out.push(await model.generate(pixelsFor(g, c.images), c.kwargs));
  return out;
}

/**
 * Counts unhandled promise rejections from now on (and keeps them from ending the process).
 * @returns a function giving the count so far, and one that removes the listener
 */
export function countUnhandledRejections(): { count(): number; stop(): void } {
  let n = 0;
  const onUnhandled = (e: PromiseRejectionEvent): void => {
    n++;
    e.preventDefault();
    console.error("unhandled rejection:", e.reason);
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  return {
    count: () => n,
    stop: () => globalThis.removeEventListener("unhandledrejection", onUnhandled),
  };
}

/**
 * Waits until the event loop has run a few times (late rejections surface).
 * @returns when done
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 10));
}
