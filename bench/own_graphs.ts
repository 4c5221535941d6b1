/**
 * vedge's own graphs (built from model.safetensors: encoder, cross_kv once per image, a decoder
 * step that broadcasts cross K/V over beams) against the Optimum-layout export of the SAME
 * weights (onnx/, written by savePretrained), run as shipped (baseline: GPT2 recomputes
 * cross-attention K/V at every step for every beam) and with cross-attention once per image
 * (graph partitioning). WASM, 1 thread, num_beams 1 and 4, 16 new tokens.
 *
 * - `--size real` (default): the bench/make_model.ts folders (vit-gpt2: ViT-B/16 + GPT2 124M;
 *   trocr-small: DeiT-small 384 + TrOCR 256x6), synthetic pixels, min_new_tokens = 16 so every
 *   caption is 16 steps. No goldens exist for random models: every engine must give the
 *   baseline's ids (a row that differs is marked and its time must not be read).
 *   Timed unit: the decoding with the encoder output cached (`--unit decode`, default), so the
 *   rounds compare what differs; each engine also times its encoder alone at load.
 * - `--size fixture`: the oracle's tiny fixtures, golden pixel values, checked against the golden
 *   greedy / beam4 ids; timed unit: whole captions (`--unit caption`, default).
 *
 * Reported per engine: ms per timed sample (median, quartiles, ratio to the baseline in the same
 * rounds), ms per decoder step (decode time / new tokens; for whole captions: (caption - encoder)
 * / new tokens) and ms per caption (encoder + decode).
 *
 * `deno run -A bench/own_graphs.ts [--size real|fixture] [--model vit-gpt2|trocr|all]
 *  [--beams 1,4] [--unit decode|caption] [--quick] [--warmup n] [--rounds n] [--runs n] [--json]`
 * @module
 */
import {
  compare,
  type Comparison,
  formatComparison,
  planFromArgs,
  type Row,
} from "./support/compare.ts";
import { flag, goldenIds, readGolden, ROOT, sameIds } from "./support/fixtures.ts";

/** One comparison with derived per-step and per-caption times. */
export interface OwnGraphsResult {
  comparison: Comparison;
  /** Timed unit: "decode" (encoder cached) or "caption". */
  unit: string;
  /** Per engine: [label, ms per step, ms per caption] (null when not timed). */
  derived: { label: string; stepMs: number | null; captionMs: number | null }[];
}

const FAMILY_DIRS: Record<string, { fixture: string; real: string }> = {
  "vit-gpt2": { fixture: "tests/fixtures/models/vit-gpt2/", real: "bench/models/vit-gpt2/" },
  trocr: { fixture: "tests/fixtures/models/trocr/", real: "bench/models/trocr-small/" },
};

function derive(row: Row, unit: string): { stepMs: number | null; captionMs: number | null } {
  const steps = row.ids ? row.ids[0].length - 1 : 0;
  const enc = Number(row.info.encoderMs);
  if (!row.time || !steps || !Number.isFinite(enc)) return { stepMs: null, captionMs: null };
  const m = row.time.median;
  return unit === "decode"
    ? { stepMs: m / steps, captionMs: m + enc }
    : { stepMs: (m - enc) / steps, captionMs: m };
}

/**
 * Runs one comparison.
 * @param model "vit-gpt2" or "trocr"
 * @param numBeams beams
 * @param args command-line arguments (size, unit, plan flags)
 * @returns the comparison and derived times
 */
export async function ownGraphs(
  model: string,
  numBeams: number,
  args: readonly string[],
): Promise<OwnGraphsResult> {
  const { plan } = planFromArgs(args);
  const size = flag(args, "size", "real");
  const real = size === "real";
  const unit = flag(args, "unit", real ? "decode" : "caption");
  const dirs = FAMILY_DIRS[model];
  if (!dirs) throw new RangeError(`--model takes vit-gpt2, trocr or all, got ${model}`);
  const dir = new URL(real ? dirs.real : dirs.fixture, ROOT).pathname;
  if (real) {
    await Deno.stat(`${dir}model.safetensors`).catch(() => {
      throw new Error(`${dir} is missing: run deno run -A bench/make_model.ts first`);
    });
  }
  const expect = real
    ? null
    : goldenIds(await readGolden(model as "vit-gpt2" | "trocr"), numBeams > 1 ? "beam4" : "greedy");
  const common = [
    "--dir",
    dir,
    "--pixels",
    real ? "synthetic" : `golden:${model}`,
    "--num-beams",
    String(numBeams),
    "--max-new-tokens",
    "16",
    ...(real ? ["--min-new-tokens", "16"] : []),
    "--unit",
    unit,
  ];
  const engine = (label: string, extra: string[]) => ({
    label,
    script: "engines/vedge_model.ts",
    args: [...common, ...extra],
    expect,
    expectName: numBeams > 1 ? "beam4" : "greedy",
  });
  const comparison = await compare(
    `own_graphs: ${real ? model + " real size" : model + " fixture"}, num_beams ${numBeams}, ` +
      `16 new tokens, ${unit === "decode" ? "decode (encoder cached)" : "whole caption"}, ` +
      `WASM, 1 thread`,
    [
      engine("export as shipped (from onnx, cross K/V every step)", [
        "--from",
        "onnx",
        "--cross-once",
        "false",
      ]),
      engine("export, cross-attention once (from onnx)", [
        "--from",
        "onnx",
        "--cross-once",
        "true",
      ]),
      engine("vedge's own graphs (from safetensors)", ["--from", "safetensors"]),
    ],
    plan,
  );
  if (real) {
    // no goldens: every engine must reproduce the baseline's ids
    const base = comparison.rows[0].ids;
    for (const row of comparison.rows.slice(1)) {
      if (row.status === "ok" && base && row.ids && !sameIds(base, row.ids)) {
        row.status = `DIFFERENT ids from the baseline: ${JSON.stringify(row.ids)}`;
      }
    }
    if (base && comparison.rows[0].status === "ok") {
      comparison.rows[0].status = `ok (${base[0].length - 1} new tokens)`;
    }
  }
  const once = comparison.rows[1];
  if (once.status.startsWith("ok") && Number(once.info.crossBytesCopied) > 0) {
    // cross K/V still copied into the decoder's inputs: a GPT2 export the runtime did not
    // split (run as shipped), or a seq2seq export whose encoder K/V are tiled over the beams
    once.status = `${once.status}; cross K/V copied into decoder inputs: ` +
      `${once.info.crossBytesCopied} bytes per caption`;
  }
  const derived = comparison.rows.map((r) => ({ label: r.label, ...derive(r, unit) }));
  return { comparison, unit, derived };
}

/**
 * The derived times as a table.
 * @param r a result
 * @returns text
 */
export function formatOwnGraphs(r: OwnGraphsResult): string {
  const rows = r.comparison.rows.map((row, i) => {
    const d = r.derived[i];
    return [
      row.label,
      d.stepMs === null ? "-" : d.stepMs.toFixed(2),
      d.captionMs === null ? "-" : d.captionMs.toFixed(0),
      row.info.encoderMs === undefined ? "-" : String(row.info.encoderMs),
      row.loadMs === null ? "-" : row.loadMs.toFixed(0),
      row.info.crossKvRuns === undefined ? "-" : String(row.info.crossKvRuns),
      row.info.decoderRuns === undefined ? "-" : String(row.info.decoderRuns),
    ];
  });
  const head = [
    "engine",
    "ms / step",
    "ms / caption",
    "encoder ms",
    "load ms",
    "cross K/V runs",
    "decoder runs",
  ];
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((x) => x[j].length)));
  const line = (c: string[]) => c.map((x, j) => x.padEnd(w[j])).join("  ").trimEnd();
  return [
    formatComparison(r.comparison),
    "",
    line(head),
    line(w.map((n) => "-".repeat(n))),
    ...rows.map(line),
  ].join("\n");
}

if (import.meta.main) {
  const which = flag(Deno.args, "model", "all");
  const models = which === "all" ? ["trocr", "vit-gpt2"] : [which];
  const beams = flag(Deno.args, "beams", "1,4").split(",").map(Number);
  const { json } = planFromArgs(Deno.args);
  const results: OwnGraphsResult[] = [];
  for (const m of models) {
    for (const b of beams) {
      const r = await ownGraphs(m, b, Deno.args);
      results.push(r);
      if (!json) console.log(formatOwnGraphs(r) + "\n");
    }
  }
  if (json) console.log(JSON.stringify(results));
}
