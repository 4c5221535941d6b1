/**
 * The hostile corpus in CI (tests/hostile/corpus.ts): every case runs the CLI in a child process
 * under a time limit and a memory cap. Prints one summary line (cases, clear errors, normal
 * answers, crashes, hangs, runaway allocations) and fails on any crash, hang, runaway, case whose
 * outcome is not the expected one, or leftover partial output.
 */
import assert from "node:assert/strict";
import { CASES, type HostileCase } from "./corpus.ts";
import { type CaseRun, runCase } from "./run_case.ts";

const LIMITS = { timeoutMs: 60_000, rssCapMiB: 1200 };

async function runOne(c: HostileCase): Promise<{ c: HostileCase; run: CaseRun; problem: string }> {
  const dir = await Deno.makeTempDir({ prefix: "vedge-hostile-" });
  try {
    const env: Record<string, string> = { VEDGE_CACHE: `${dir}/cache` };
    const deferred: (() => Promise<void>)[] = [];
    const args = await c.setup(dir, { env, defer: (fn) => deferred.push(fn) });
    const run = await runCase(c.cli, args, env, LIMITS).finally(() =>
      Promise.all(deferred.map((f) => f()))
    );
    let problem = "";
    if (run.outcome === "crash" || run.outcome === "hang" || run.outcome === "runaway") {
      problem = `${run.outcome}: ${run.why}`;
    } else if (c.expect === "error" && run.outcome !== "clear") {
      problem = "expected a clear error, got exit 0";
    } else if (c.expect === "ok" && run.outcome !== "ok") {
      problem = "expected an answer, got an error";
    }
    if (!problem && c.check) problem = await c.check(run, dir);
    return { c, run, problem };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "hostile corpus: clear errors only, no crash, hang or runaway allocation",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const results: Awaited<ReturnType<typeof runOne>>[] = [];
    // HOSTILE_ONLY=<regex> runs a subset while working on one class
    const only = Deno.env.get("HOSTILE_ONLY");
    const queue = CASES.filter((c) => !only || new RegExp(only).test(`${c.cls} ${c.name}`));
    await Promise.all([0, 1].map(async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.push(await runOne(c));
    }));
    const count = (o: string) => results.filter((r) => r.run.outcome === o).length;
    const peak = Math.max(...results.map((r) => r.run.peakRssMiB));
    const byClass = new Map<string, number>();
    for (const r of results) byClass.set(r.c.cls, (byClass.get(r.c.cls) ?? 0) + 1);
    console.log(
      `hostile: ${results.length} cases (${
        [...byClass].map(([k, v]) => `${k} ${v}`).join(", ")
      }): ` +
        `${count("clear")} clear errors, ${count("ok")} answered, ${count("crash")} crashes, ` +
        `${count("hang")} hangs, ${count("runaway")} runaway allocations; peak RSS ${peak} MiB`,
    );
    for (const cls of byClass.keys()) {
      const of = results.filter((r) => r.c.cls === cls);
      const n = (o: string) => of.filter((r) => r.run.outcome === o).length;
      console.log(
        `  ${cls}: ${of.length} cases, ${of.filter((r) => !r.problem).length} as expected; ` +
          `${n("clear")} clear, ${n("ok")} answered, ${n("crash")} crashes, ${n("hang")} hangs, ` +
          `${n("runaway")} runaway`,
      );
    }
    const bad = results.filter((r) => r.problem);
    for (const r of bad) {
      console.log(
        `  FAIL [${r.c.cls}] ${r.c.name}: ${r.problem}\n    ${
          r.run.stderr.trim().split("\n").slice(0, 4).join("\n    ")
        }`,
      );
    }
    assert.equal(
      bad.length,
      0,
      `${bad.length} hostile cases failed: ${bad.map((r) => r.c.name).join("; ")}`,
    );
  },
});
