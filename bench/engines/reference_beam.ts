/**
 * Engine: the baseline beam search (bench/baselines/reference_beam_search.ts) over the export as
 * shipped, `onnx/decoder_model.onnx` for the first step and `onnx/decoder_with_past_model.onnx`
 * after, on onnxruntime-web WASM with 1 thread. `encoder_hidden_states` is tiled to one row per
 * beam, so a GPT2 export recomputes cross-attention K/V for every beam at every step, and the
 * self-attention cache is gathered by beam index after every step.
 * @module
 */
import * as ort from "onnxruntime-web";
import { type BeamDecoder, referenceBeamSearch } from "../baselines/reference_beam_search.ts";
import { type BenchEngine, serveEngine } from "../support/engine.ts";
import { type FixtureModel, flag, modelDir, readGolden } from "../support/fixtures.ts";

type Feeds = Record<string, ort.Tensor>;

function tile(t: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const data = t.data as Float32Array;
  const size = data.length / t.dims[0];
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(data.subarray(r * size, (r + 1) * size), i * size));
  return new ort.Tensor("float32", out, [rows.length, ...t.dims.slice(1)]);
}

function ids(tokens: readonly number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(tokens, BigInt), [tokens.length, 1]);
}

function lastLogits(t: ort.Tensor): Float32Array {
  const [rows, n, v] = t.dims;
  const data = t.data as Float32Array;
  if (n === 1) return data;
  const out = new Float32Array(rows * v);
  for (let r = 0; r < rows; r++) {
    out.set(data.subarray((r * n + n - 1) * v, (r * n + n) * v), r * v);
  }
  return out;
}

function only(session: ort.InferenceSession, feeds: Feeds): Feeds {
  return Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]]));
}

/**
 * The shipped decoder pair as a BeamDecoder bound to one image's encoder states.
 * @param first decoder_model.onnx
 * @param withPast decoder_with_past_model.onnx
 * @param states encoder last_hidden_state [1, seq, hidden]
 * @returns the decoder
 */
export function shippedDecoder(
  first: ort.InferenceSession,
  withPast: ort.InferenceSession,
  states: ort.Tensor,
): BeamDecoder {
  let enc: ort.Tensor | null = null;
  let past: Feeds = {};
  // Seq2seq exports return the cross-attention K/V only from the first step: keep them.
  const keep = (out: Feeds): Float32Array => {
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith("present.")) past[k.replace("present.", "past_key_values.")] = v;
    }
    return lastLogits(out.logits);
  };
  const d = {
    vocabSize: 0,
    async first(rows: number, start: number): Promise<Float32Array> {
      enc = tile(states, Array(rows).fill(0));
      past = {};
      const out = await first.run(only(first, {
        input_ids: ids(Array(rows).fill(start)),
        encoder_hidden_states: enc,
      }));
      d.vocabSize = out.logits.dims[2];
      return keep(out);
    },
    async step(beamIdx: readonly number[], tokens: readonly number[]): Promise<Float32Array> {
      const feeds: Feeds = { input_ids: ids(tokens), encoder_hidden_states: enc! };
      for (const [k, v] of Object.entries(past)) feeds[k] = tile(v, beamIdx);
      return keep(await withPast.run(only(withPast, feeds)));
    },
  };
  return d;
}

async function load(args: string[]): Promise<BenchEngine> {
  const model = flag(args, "model", "vit-gpt2") as FixtureModel;
  const numBeams = Number(flag(args, "num-beams", "4"));
  const maxNew = Number(flag(args, "max-new-tokens", "16"));
  ort.env.wasm.numThreads = 1;
  const dir = modelDir(model);
  const session = async (f: string) =>
    await ort.InferenceSession.create(await Deno.readFile(new URL(`onnx/${f}`, dir)), {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
  const encoder = await session("encoder_model.onnx");
  const first = await session("decoder_model.onnx");
  const withPast = await session("decoder_with_past_model.onnx");
  const golden = await readGolden(model);
  const pv = golden.pixel_values["probe.png"];
  const gc = golden.generation_config;
  return {
    info: {
      engine: "reference beam search (export as shipped)",
      ort: `onnxruntime-web ${ort.env.versions.web}`,
      threads: ort.env.wasm.numThreads as number,
      decoder: "onnx/decoder_model.onnx + onnx/decoder_with_past_model.onnx",
      input: "golden pixel values (no preprocessing)",
    },
    async run(): Promise<number[][]> {
      const pixels = new ort.Tensor("float32", Float32Array.from(pv.data), pv.dims);
      const { last_hidden_state } = await encoder.run({ pixel_values: pixels });
      const r = await referenceBeamSearch(shippedDecoder(first, withPast, last_hidden_state), {
        num_beams: numBeams,
        max_length: 1 + maxNew,
        decoder_start_token_id: gc.decoder_start_token_id,
        eos_token_id: gc.eos_token_id,
        pad_token_id: gc.pad_token_id,
      });
      return [r.ids];
    },
  };
}

if (import.meta.main) await serveEngine(() => load(Deno.args));
