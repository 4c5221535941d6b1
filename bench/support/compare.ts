/**
 * One comparison: start every engine, check each one's ids against the goldens, then time them
 * in interleaved rounds (rotating order, so drift on a shared machine hits all engines alike),
 * and report medians, spreads and ratios against the first engine (the baseline).
 * @module
 */
import { type EngineHandle, type EngineSpec, startEngine } from "./engine.ts";
import { sameIds } from "./fixtures.ts";
import { roundRatio, summarize, type Summary } from "./stats.ts";

/** One engine of a comparison, with the ids it must produce before it is timed. */
export interface Contender extends EngineSpec {
  /** Golden ids; null: record what it produces without requiring a match. */
  expect: number[][] | null;
  /** Name of the golden case `expect` comes from, for the report. */
  expectName?: string;
}

/** How much to measure. */
export interface Plan {
  /** Untimed runs per engine after the first. */
  warmup: number;
  /** Interleaved rounds. */
  rounds: number;
  /** Timed runs per engine per round. */
  runsPerRound: number;
}

/** The outcome for one engine. */
export interface Row {
  label: string;
  /** "ok", or why it was not timed / what it got wrong. */
  status: string;
  ids: number[][] | null;
  info: Record<string, string | number | boolean>;
  loadMs: number | null;
  /** ms per caption. */
  time: Summary | null;
  /** Baseline time / this engine's time, per round (above 1: faster than the baseline). */
  speedup: Summary | null;
}

/** A finished comparison. */
export interface Comparison {
  title: string;
  baseline: string;
  plan: Plan;
  rows: Row[];
}

/**
 * Runs a comparison. The first contender is the baseline.
 * @param title what is compared
 * @param contenders engines, baseline first
 * @param plan warm-up, rounds and runs
 * @returns medians, spreads and ratios
 */
export async function compare(
  title: string,
  contenders: Contender[],
  plan: Plan,
): Promise<Comparison> {
  const handles: (EngineHandle | null)[] = [];
  const rows: Row[] = [];
  for (const c of contenders) {
    const row: Row = {
      label: c.label,
      status: "ok",
      ids: null,
      info: {},
      loadMs: null,
      time: null,
      speedup: null,
    };
    rows.push(row);
    try {
      const h = await startEngine(c);
      row.ids = h.ready.ids;
      row.info = h.ready.info;
      row.loadMs = h.ready.loadMs;
      if (c.expect && !sameIds(h.ready.ids, c.expect)) {
        row.status = `WRONG ids vs golden ${c.expectName ?? ""}: ${JSON.stringify(h.ready.ids)}`;
        await h.close();
        handles.push(null);
        continue;
      }
      if (plan.warmup) await h.time(plan.warmup);
      handles.push(h);
    } catch (e) {
      row.status = `not run: ${String((e as Error).message).split("\n")[0]}`;
      handles.push(null);
    }
  }
  const samples: number[][][] = contenders.map(() => []);
  for (let r = 0; r < plan.rounds; r++) {
    for (let k = 0; k < handles.length; k++) {
      const i = (k + r) % handles.length;
      const h = handles[i];
      if (h) samples[i].push(await h.time(plan.runsPerRound));
    }
  }
  for (const h of handles) await h?.close();
  rows.forEach((row, i) => {
    if (!handles[i]) return;
    row.time = summarize(samples[i].flat());
    if (handles[0] && i > 0) row.speedup = roundRatio(samples[0], samples[i]);
  });
  return { title, baseline: contenders[0].label, plan, rows };
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : "-");

/**
 * A comparison as a plain-text table.
 * @param c the comparison
 * @returns the table, with a header line
 */
export function formatComparison(c: Comparison): string {
  const head = [
    "engine",
    "ms/caption (median)",
    "p25-p75",
    "min-max",
    "n",
    `x ${c.baseline}`,
    "status",
  ];
  const body = c.rows.map((r) => [
    r.label,
    r.time ? f(r.time.median) : "-",
    r.time ? `${f(r.time.p25)}-${f(r.time.p75)}` : "-",
    r.time ? `${f(r.time.min)}-${f(r.time.max)}` : "-",
    r.time ? String(r.time.n) : "-",
    r.speedup
      ? `${f(r.speedup.median, 2)} (${f(r.speedup.min, 2)}-${f(r.speedup.max, 2)})`
      : (r === c.rows[0] && r.time ? "1.00" : "-"),
    r.status,
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) => cells.map((x, j) => x.padEnd(widths[j])).join("  ").trimEnd();
  const p = c.plan;
  return [
    `## ${c.title}`,
    `warm-up ${p.warmup}, ${p.rounds} interleaved rounds x ${p.runsPerRound} runs per engine; ratio = median over rounds of baseline/engine (range in brackets)`,
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
  ].join("\n");
}

/**
 * Reads the common bench flags: `--json`, `--rounds n`, `--runs n`, `--warmup n`, `--quick`.
 * @param args command-line arguments
 * @returns the plan and whether to print JSON
 */
export function planFromArgs(args: readonly string[]): { plan: Plan; json: boolean } {
  const num = (name: string, d: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const quick = args.includes("--quick");
  return {
    plan: {
      warmup: num("warmup", quick ? 2 : 5),
      rounds: num("rounds", quick ? 3 : 7),
      runsPerRound: num("runs", quick ? 3 : 5),
    },
    json: args.includes("--json"),
  };
}
