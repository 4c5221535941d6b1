/**
 * The one assertion set of the runtime matrix (tests/runtime/matrix.ts): on every runtime, the
 * fixture models caption probe.png greedily and with 4 beams, and the token ids and texts equal
 * what Hugging Face's Python `generate()` produced (tests/fixtures/goldens). Portable: no Deno,
 * Node or DOM APIs, so it is bundled as is into pages, workers and Node scripts; each runtime
 * supplies how to caption.
 * @module
 */

/** One check: a model, generation arguments and the golden answer. */
export interface MatrixCase {
  /** Fixture model folder name. */
  model: string;
  /** Golden case name ("greedy", "beam4"). */
  name: string;
  /** Fixture image file name. */
  image: string;
  /** Python's generate() keyword arguments. */
  kwargs: Record<string, unknown>;
  /** Golden token ids of the first returned sequence (decoder start token first). */
  tokenIds: number[];
  /** Golden text of the first returned sequence. */
  text: string;
}

/** What a runtime answered for a case. */
export interface Captioned {
  tokenIds: number[];
  text: string;
}

/** One check's outcome. */
export interface MatrixResult {
  /** "vit-gpt2 beam4". */
  check: string;
  ok: boolean;
  /** Why it failed, or "". */
  detail: string;
  /** Wall time of the caption in ms (the first case of a model includes loading it). */
  ms: number;
}

/** The golden cases each row runs. */
export const MATRIX_CASE_NAMES = ["greedy", "beam4"] as const;

interface GoldenFile {
  generate: {
    name: string;
    images: string[];
    kwargs: Record<string, unknown>;
    sequences: number[][];
    text: string[];
  }[];
}

/**
 * Picks the matrix cases out of golden files.
 * @param goldens model name -> parsed golden JSON
 * @returns the cases, models in the given order
 */
export function matrixCases(goldens: Record<string, unknown>): MatrixCase[] {
  const out: MatrixCase[] = [];
  for (const [model, json] of Object.entries(goldens)) {
    for (const name of MATRIX_CASE_NAMES) {
      const c = (json as GoldenFile).generate.find((g) => g.name === name);
      if (!c) throw new Error(`goldens of ${model} have no case ${name}`);
      out.push({
        model,
        name,
        image: c.images[0],
        kwargs: c.kwargs,
        tokenIds: c.sequences[0],
        text: c.text[0],
      });
    }
  }
  return out;
}

/**
 * Compares an answer with the golden one.
 * @param c the case
 * @param got what the runtime produced
 * @returns "" when equal, else what differs
 */
export function compare(c: MatrixCase, got: Captioned): string {
  const ids = JSON.stringify(got.tokenIds);
  if (ids !== JSON.stringify(c.tokenIds)) {
    return `token ids ${ids} != golden ${JSON.stringify(c.tokenIds)}`;
  }
  if (got.text !== c.text) {
    return `text ${JSON.stringify(got.text)} != golden ${JSON.stringify(c.text)}`;
  }
  return "";
}

/**
 * Runs every case through a runtime's caption function, one after another.
 * @param cases what to check
 * @param caption how this runtime captions a case
 * @returns one result per case; a thrown error fails that case only
 */
export async function runMatrixCases(
  cases: MatrixCase[],
  caption: (c: MatrixCase) => Promise<Captioned>,
): Promise<MatrixResult[]> {
  const results: MatrixResult[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    let detail: string;
    try {
      detail = compare(c, await caption(c));
    } catch (e) {
      detail = `threw ${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`;
    }
    results.push({
      check: `${c.model} ${c.name}`,
      ok: detail === "",
      detail,
      ms: Math.round(performance.now() - t0),
    });
  }
  return results;
}

/** The decoder counters a WebGPU row reads (model.stats). */
export interface StepStats {
  decoderFirstRuns: number;
  decoderStepRuns: number;
  hostBytesPerStep: number[];
}

/**
 * The WebGPU check of one caption: the bytes copied between GPU and CPU per decoder run do not
 * grow with the step (the K/V cache stays on the GPU; a cache downloaded and uploaded again
 * would add bytes at every step), and a later step copies the logits (one row of the vocabulary
 * per beam) plus at most 64 bytes per row (token ids, beam indices).
 * @param c the case (its num_beams is the row count)
 * @param vocab the decoder's vocabulary size
 * @param before stats before the caption
 * @param after stats after it
 * @returns "" when it holds, else what was seen
 */
export function stepBytesDetail(
  c: MatrixCase,
  vocab: number,
  before: StepStats,
  after: StepStats,
): string {
  const runs = after.decoderFirstRuns + after.decoderStepRuns - before.decoderFirstRuns -
    before.decoderStepRuns;
  const steps = after.hostBytesPerStep.slice(-runs);
  const later = steps.slice(1);
  const rows = Number(c.kwargs.num_beams ?? 1);
  const logitsBytes = rows * vocab * 4;
  if (runs < 3) return `only ${runs} decoder runs`;
  if (later.some((b) => b > later[0])) return `bytes per step grow: ${steps.join(", ")}`;
  if (new Set(later.slice(1)).size !== 1) return `bytes per step vary: ${steps.join(", ")}`;
  if (later[1] < logitsBytes || later[1] > logitsBytes + 64 * rows) {
    return `a step copies ${later[1]} bytes; expected the ${logitsBytes} bytes of logits plus ids`;
  }
  return "";
}

/** The part of vedge's public API the in-process rows use. */
export interface VedgeApi {
  pipeline(
    task: "image-to-text",
    source: string,
    options?: Record<string, unknown>,
  ): Promise<{
    model?: { stats: StepStats; config: { decoder: { vocabSize: number | null } } };
    backend?: { device: string };
    load(image: Uint8Array): Promise<unknown>;
    caption(
      images: never[],
      options?: Record<string, unknown>,
    ): Promise<{ sequences: { text: string; tokenIds: number[] }[] }[]>;
  }>;
}

/**
 * The in-process caption function: one pipeline per model, loaded on first use.
 * @param vedge the imported module (mod.ts, dist/node, dist/browser)
 * @param where model folder/URL per model name, and the image bytes per file name
 * @param options pipeline options (device, threads); with device "webgpu", every caption must
 *   also run on WebGPU and pass {@link stepBytesDetail}
 * @returns a caption function for {@link runMatrixCases}
 */
export function pipelineCaption(
  vedge: VedgeApi,
  where: { model: (name: string) => string; image: (name: string) => Promise<Uint8Array> },
  options: Record<string, unknown> = {},
): (c: MatrixCase) => Promise<Captioned> {
  const webgpu = options.device === "webgpu";
  const loaded = new Map<string, ReturnType<VedgeApi["pipeline"]>>();
  return async (c) => {
    let p = loaded.get(c.model);
    if (!p) loaded.set(c.model, p = vedge.pipeline("image-to-text", where.model(c.model), options));
    const captioner = await p;
    const image = await captioner.load(await where.image(c.image));
    const model = captioner.model;
    const before = model ? structuredClone(model.stats) : null;
    const [r] = await captioner.caption([image as never], c.kwargs);
    if (webgpu) {
      if (captioner.backend?.device !== "webgpu" || !model || !before) {
        throw new Error(`ran on ${captioner.backend?.device ?? "an unknown backend"}, not webgpu`);
      }
      const bytes = stepBytesDetail(c, model.config.decoder.vocabSize ?? 0, before, model.stats);
      if (bytes) throw new Error(`GPU<->CPU bytes: ${bytes}`);
    }
    return { tokenIds: r.sequences[0].tokenIds, text: r.sequences[0].text };
  };
}
