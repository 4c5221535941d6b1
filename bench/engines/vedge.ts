/**
 * Engine: vedge on onnxruntime-web WASM, 1 thread, over the fixture models' ONNX exports
 * (`onnx/encoder_model.onnx` + `onnx/decoder_model_merged.onnx`, the files transformers.js uses).
 *
 * Until mod.ts exports `pipeline`, vedge is driven through its runtime modules (backend, graph
 * sessions, encoder runner, export decoder stepper) with a plain greedy loop and the golden pixel
 * values. Switching to the public API is the one line marked SWITCH below.
 *
 * `--encoder-cache off` makes the encoder runner keep nothing (capacity 0), so every caption pays
 * for its encoder run: the fair per-caption cost. `on` keeps the default per-image cache, which
 * makes the repeated probe image skip the encoder: the repeated-image case.
 * `--num-beams 4` runs vedge's beam search (`generate` from src/generation/generate.ts, with the
 * model's generation_config.json and num_beams / max_new_tokens over it).
 * @module
 */
import { selectBackend } from "../../src/runtime/backend.ts";
import { GraphSession } from "../../src/runtime/graph_session.ts";
import { EncoderRunner } from "../../src/runtime/encoder_runner.ts";
import { loadExportDecoder } from "../../src/runtime/load_export_decoder.ts";
import { memoryFiles } from "../../src/hub/model_files.ts";
import type { DecoderStepper } from "../../src/generation/decoder_stepper.ts";
import { generate } from "../../src/generation/generate.ts";
import {
  parseGenerationConfig,
  resolveGenerationConfig,
} from "../../src/config/generation_config.ts";
import { type BenchEngine, serveEngine } from "../support/engine.ts";
import {
  type FixtureModel,
  flag,
  maxPositions,
  modelDir,
  readGolden,
  ROOT,
} from "../support/fixtures.ts";

/** What the engine needs to know about one run. */
interface RunSettings {
  model: FixtureModel;
  numBeams: number;
  maxNewTokens: number;
  encoderCache: boolean;
}

/** A caption function: token ids of each returned sequence for the probe image. */
type Captioner = { info: Record<string, string | number | boolean>; run(): Promise<number[][]> };

/**
 * Greedy decoding until every row has produced EOS or `maxNew` tokens (Hugging Face semantics:
 * finished rows pad; here one row).
 * @param stepper the bound decoder
 * @param start decoder start token
 * @param eos end-of-sequence ids
 * @param maxNew new-token limit
 * @returns the sequence, start token first
 */
export async function greedy(
  stepper: DecoderStepper,
  start: number,
  eos: readonly number[],
  maxNew: number,
): Promise<number[]> {
  const ids = [start];
  let out = await stepper.start([[start]]);
  for (let n = 0;; n++) {
    const logits = out.logits;
    let best = 0;
    for (let v = 1; v < stepper.vocabSize; v++) if (logits[v] > logits[best]) best = v;
    ids.push(best);
    if (eos.includes(best) || n + 1 >= maxNew) break;
    const next = await stepper.step(out.cache, [best]);
    stepper.release(out.cache);
    out = next;
  }
  stepper.release(out.cache);
  return ids;
}

/** vedge driven through src/runtime (used until mod.ts exports `pipeline`). */
async function runtimeCaptioner(s: RunSettings): Promise<Captioner> {
  const dir = modelDir(s.model);
  const read = (p: string) => Deno.readFile(new URL(p, dir));
  const backend = await selectBackend({ device: "wasm", numThreads: 1 });
  const encoder = await GraphSession.create(
    backend,
    await read("onnx/encoder_model.onnx"),
    "onnx/encoder_model.onnx",
  );
  const mergedPath = "onnx/decoder_model_merged.onnx";
  const runner = new EncoderRunner(encoder, s.encoderCache ? 8 : 0);
  // cross-attention K/V once per image (GPT2-style exports are split, seq2seq keep their K/V)
  const decoder = await loadExportDecoder(
    memoryFiles(s.model, { [mergedPath]: await read(mergedPath) }),
    { kind: "merged", merged: mergedPath },
    backend,
    { maxPositions: await maxPositions(s.model), crossAttentionOnce: true },
  );
  const golden = await readGolden(s.model);
  const gc = golden.generation_config;
  const eos = [gc.eos_token_id].flat();
  const pv = golden.pixel_values["probe.png"];
  const pixels = { data: Float32Array.from(pv.data), dims: pv.dims };
  const beamConfig = s.numBeams > 1
    ? resolveGenerationConfig(
      parseGenerationConfig(
        JSON.parse(await Deno.readTextFile(new URL("generation_config.json", dir))),
      ),
      { num_beams: s.numBeams, max_new_tokens: s.maxNewTokens },
    )
    : null;
  return {
    info: {
      engine: "vedge (src/runtime)",
      ort: `onnxruntime-web ${backend.ort.env.versions.web}`,
      threads: backend.ort.env.wasm.numThreads as number,
      decoder: "onnx/decoder_model_merged.onnx",
      encoderCache: s.encoderCache,
      input: "golden pixel values (no preprocessing)",
    },
    async run(): Promise<number[][]> {
      const states = await runner.encode(pixels);
      const stepper = decoder.bind(states);
      if (beamConfig) return (await generate(stepper, beamConfig)).sequences;
      return [await greedy(stepper, gc.decoder_start_token_id, eos, s.maxNewTokens)];
    },
  };
}

/** vedge through its public API: `pipeline("image-to-text", dir)` on the probe PNG's bytes. */
async function pipelineCaptioner(s: RunSettings): Promise<Captioner> {
  const mod = await import(new URL("mod.ts", ROOT).href) as {
    pipeline?: (task: string, source: string, options: Record<string, unknown>) => Promise<
      (image: Uint8Array, options: Record<string, unknown>) => Promise<unknown>
    >;
  };
  if (!mod.pipeline) throw new Error("mod.ts does not export pipeline yet");
  const captioner = await mod.pipeline("image-to-text", modelDir(s.model).pathname, {
    device: "wasm",
    numThreads: 1,
    dtype: "fp32",
  });
  const png = await Deno.readFile(new URL("tests/fixtures/images/probe.png", ROOT));
  return {
    info: {
      engine: "vedge pipeline()",
      threads: 1,
      input: "probe.png bytes (preprocessing timed)",
    },
    async run(): Promise<number[][]> {
      const out = await captioner(png, {
        num_beams: s.numBeams,
        max_new_tokens: s.maxNewTokens,
        return_token_ids: true,
      }) as { token_ids?: number[] }[];
      return out.map((o) => o.token_ids ?? []);
    },
  };
}

// SWITCH: `pipelineCaptioner` once mod.ts exports pipeline (the encoder-cache flag then maps to
// the pipeline's cache option, if it has one).
const makeCaptioner: (s: RunSettings) => Promise<Captioner> = runtimeCaptioner;
void pipelineCaptioner;

async function load(args: string[]): Promise<BenchEngine> {
  return await makeCaptioner({
    model: flag(args, "model", "vit-gpt2") as FixtureModel,
    numBeams: Number(flag(args, "num-beams", "1")),
    maxNewTokens: Number(flag(args, "max-new-tokens", "16")),
    encoderCache: flag(args, "encoder-cache", "off") === "on",
  });
}

if (import.meta.main) await serveEngine(() => load(Deno.args));
