/**
 * The model run by two Web Workers, pipelined across images: the encoder worker encodes image
 * n+1 while the decoder worker decodes image n. Each image is one unit (its pixel values go to
 * the encoder worker, its encoder states to the decoder worker, once); the units encoded while
 * the decoder was busy are decoded together as one batch. The results are joined in input
 * order and padded as Python pads a batch (finished rows take pad_token_id up to the batch's
 * longest sequence), so a batch answers exactly what one batched `generate()` answers. Sampling is the exception: its random draws run over the
 * batch's rows in order, so a sampled batch stays one unit (encoded, then decoded, together).
 *
 * Every image of a call shares one AbortController: the caller's signal, or the failure of any
 * image, cancels the others in both workers.
 * @module
 */
import {
  eosTokenIds,
  type GenerationConfig,
  type GenerationOptions,
  resolveGenerationConfig,
} from "../config/generation_config.ts";
import type { DecoderShape } from "../config/generation_limits.ts";
import { validateGenerationConfig } from "../config/validate_generation_config.ts";
import type { GenerateOptions, GenerateOutput } from "../generation/generate.ts";
import type { BackendReportEntry } from "../runtime/backend.ts";
import type { FloatTensor } from "../tensor.ts";
import { WorkerClient } from "../../workers/worker_client.ts";
import type { WireTensor, WorkerModelOptions } from "../../workers/protocol.ts";
import type { DecoderPartStats } from "../model/model_parts.ts";

/** The backend the workers chose, as the model reports it. */
export interface WorkerBackend {
  /** The backend chosen. */
  device: "webgpu" | "wasm";
  /** Why each candidate backend was taken or rejected. */
  report: BackendReportEntry[];
}

/** What {@link WorkerModel.generate} takes besides generation settings. */
export type WorkerGenerateOptions =
  & GenerationOptions
  & Pick<GenerateOptions, "signal" | "streamer">;

/** A model whose encoder and decoder run in two workers. */
export class WorkerModel {
  /** The encoder worker. */
  readonly encoder: WorkerClient;
  /** The decoder worker. */
  readonly decoder: WorkerClient;
  /** The model's generation defaults (from the decoder worker). */
  readonly generationConfig: GenerationConfig;
  /** The decoder worker's backend (both workers select alike). */
  readonly backend: WorkerBackend;
  /** The decoder's shape, for the memory estimate of generation options. */
  readonly decoderShape: DecoderShape;
  /** The decoder worker's counters after the last decode. */
  lastDecoderStats: DecoderPartStats | null = null;

  private constructor(
    encoder: WorkerClient,
    decoder: WorkerClient,
    generationConfig: GenerationConfig,
    backend: WorkerBackend,
    decoderShape: DecoderShape,
  ) {
    this.decoderShape = decoderShape;
    this.encoder = encoder;
    this.decoder = decoder;
    this.generationConfig = generationConfig;
    this.backend = backend;
  }

  /**
   * Starts both workers and loads one half of the model in each.
   * @param source the model's folder, URL or Hub id
   * @param options cloneable load options
   * @returns the model
   */
  static async start(source: string, options: WorkerModelOptions): Promise<WorkerModel> {
    const encoder = new WorkerClient("encoder", source, options);
    const decoder = new WorkerClient("decoder", source, options);
    const loaded = await Promise.allSettled([encoder.ready(), decoder.ready()]);
    for (const r of loaded) {
      if (r.status === "rejected") {
        await Promise.all([encoder.dispose(), decoder.dispose()]);
        throw r.reason;
      }
    }
    const info = (loaded[1] as PromiseFulfilledResult<Awaited<ReturnType<WorkerClient["ready"]>>>)
      .value;
    return new WorkerModel(encoder, decoder, info.generationConfig!, {
      device: info.device,
      report: info.report,
    }, info.decoderShape!);
  }

  /**
   * Generates token ids for images, pipelined over the two workers.
   * @param images pixel values [1, 3, H, W] per image (not modified: copies cross)
   * @param options generation settings, signal, streamer (one image)
   * @returns sequences (decoder start token first) and, for beam search, scores, as one batched
   *   `generate()` over the images returns them
   */
  async generate(
    images: FloatTensor[],
    options: WorkerGenerateOptions = {},
  ): Promise<GenerateOutput> {
    const { signal, streamer, ...generation } = options;
    if (images.length === 0) throw new RangeError("generate(): no images given");
    // settings are checked here, once, so a bad option fails before any work is sent
    const config = resolveGenerationConfig(this.generationConfig, generation);
    // the whole batch, as one batched generate() checks it inline (groups are never larger)
    validateGenerationConfig(config, { images: images.length, decoder: this.decoderShape });
    if (streamer && config.num_beams > 1) {
      throw new RangeError("a streamer cannot be used with beam search (num_beams > 1)");
    }
    const units = config.do_sample ? [images] : images.map((image) => [image]);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const outputs = await this.#pipelined(units, generation, controller, streamer);
      streamer?.onEnd?.();
      return joinOutputs(outputs, config);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends every unit to the encoder worker at once (it encodes them in order) and, whenever the
   * decoder worker is free, hands it every unit encoded meanwhile as one batch: the first unit
   * decodes alone while the next ones encode, and the ones that encoded during a decode share
   * the next (a batched decode reads the decoder's weights once per step for all of them).
   * @returns the outputs of the decoded groups, in input order
   */
  #pipelined(
    units: FloatTensor[][],
    generation: GenerationOptions,
    controller: AbortController,
    streamer: WorkerGenerateOptions["streamer"],
  ): Promise<GenerateOutput[]> {
    const signal = controller.signal;
    const states: (WireTensor | null)[] = units.map(() => null);
    const outputs: GenerateOutput[] = [];
    let next = 0; // first unit not yet sent to the decoder
    let busy = false;
    return new Promise<GenerateOutput[]>((resolve, reject) => {
      const fail = (e: unknown): void => {
        controller.abort(e); // the other units stop in both workers
        reject(e);
      };
      const kick = (): void => {
        if (busy || signal.aborted) return;
        let end = next;
        while (end < units.length && states[end]) end++;
        if (end === next) return;
        const group = states.slice(next, end) as WireTensor[];
        next = end;
        busy = true;
        this.#decode(concatStates(group), generation, signal, streamer).then((out) => {
          outputs.push(out);
          busy = false;
          if (next === units.length) resolve(outputs);
          else kick();
        }, fail);
      };
      units.forEach((unit, i) => {
        this.encoder.request({ type: "encode", pixels: stackCopy(unit) }, { signal }).then((r) => {
          if (r.type !== "encoded") throw new Error(`encoder worker answered ${r.type}`);
          states[i] = r.states;
          kick();
        }).catch(fail);
      });
    });
  }

  async #decode(
    states: WireTensor,
    generation: GenerationOptions,
    signal: AbortSignal,
    streamer: WorkerGenerateOptions["streamer"],
  ): Promise<GenerateOutput> {
    const decoded = await this.decoder.request(
      { type: "decode", states, generation, stream: streamer !== undefined },
      { signal, onProgress: streamer ? (t) => streamer.onToken(t) : undefined },
    );
    if (decoded.type !== "decoded") throw new Error(`decoder worker answered ${decoded.type}`);
    this.lastDecoderStats = decoded.stats;
    return decoded.output;
  }

  /** Frees both workers' sessions and stops them. */
  async dispose(): Promise<void> {
    await Promise.all([this.encoder.dispose(), this.decoder.dispose()]);
  }
}

/** Joins encoder states [n_i, seq, hidden] along the first axis (one group: as it is). */
function concatStates(group: WireTensor[]): WireTensor {
  if (group.length === 1) return group[0];
  const [, ...rest] = group[0].dims;
  const data = new Float32Array(group.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of group) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return { data, dims: [group.reduce((n, t) => n + t.dims[0], 0), ...rest] };
}

/** Stacks [1, 3, H, W] pixel values into a fresh buffer (the caller's stay intact). */
function stackCopy(parts: FloatTensor[]): { data: Float32Array; dims: number[] } {
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => {
    if (p.data.length !== per) {
      throw new RangeError(`image ${i} has ${p.data.length} pixel values, image 0 has ${per}`);
    }
    data.set(p.data, i * per);
  });
  return { data, dims: [parts.length, ...parts[0].dims.slice(1)] };
}

/**
 * Joins per-unit outputs in order, padding every sequence to the longest with the pad token
 * generate() uses (pad_token_id, else the first eos_token_id), as one batched run pads them.
 */
function joinOutputs(outputs: GenerateOutput[], config: GenerationConfig): GenerateOutput {
  if (outputs.length === 1) return outputs[0];
  const sequences = outputs.flatMap((o) => o.sequences);
  const longest = Math.max(...sequences.map((s) => s.length));
  const pad = config.pad_token_id ?? eosTokenIds(config)[0] ?? null;
  if (sequences.some((s) => s.length < longest) && pad === null) {
    throw new RangeError("sequences of unequal length and no pad_token_id or eos_token_id");
  }
  const padded = sequences.map((s) =>
    s.length < longest ? [...s, ...new Array<number>(longest - s.length).fill(pad!)] : s
  );
  const scores = outputs.every((o) => o.sequencesScores !== null)
    ? outputs.flatMap((o) => o.sequencesScores!)
    : null;
  return { sequences: padded, sequencesScores: scores };
}

const LOAD_KEYS = [
  "device",
  "numThreads",
  "from",
  "dtype",
  "decoder",
  "crossAttentionOnce",
  "encoderCacheSize",
  "revision",
  "token",
  "endpoint",
  "offline",
  "cacheDir",
  "cache",
  "retries",
  "retryDelayMs",
  "headersTimeoutMs",
  "idleTimeoutMs",
  "maxRedirects",
] as const;

/**
 * The load options a worker can receive (functions, the platform and signals cannot cross; the
 * worker finds its own platform).
 * @param options the pipeline's options
 * @returns the cloneable subset
 */
export function workerModelOptions(options: Record<string, unknown>): WorkerModelOptions {
  const out: Record<string, unknown> = {};
  for (const k of LOAD_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return out as WorkerModelOptions;
}
