/**
 * `deno task bench`: runs every bench file (each in its own process, one after the other) and
 * prints one summary table; `--json` prints the comparisons as JSON instead. Other flags
 * (`--quick`, `--rounds n`, `--runs n`, `--warmup n`) are passed on.
 * @module
 */
import type { Comparison } from "./support/compare.ts";
import { formatComparison } from "./support/compare.ts";

/** The bench files and the arguments each is run with. */
export const BENCHES: readonly { file: string; args: string[] }[] = [
  { file: "caption_greedy.ts", args: ["--model", "all"] },
  { file: "beam_search.ts", args: ["--model", "vit-gpt2"] },
  // real-size own-graph comparisons need bench/make_model.ts first: run bench/own_graphs.ts alone
  { file: "own_graphs.ts", args: ["--size", "fixture", "--model", "all"] },
];

async function runBench(file: string, args: string[]): Promise<Comparison[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(file, import.meta.url).pathname, ...args, "--json"],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) throw new Error(`${file} exited with ${out.code}`);
  return JSON.parse(text) as Comparison[];
}

function summaryTable(all: Comparison[]): string {
  const rows = all.flatMap((c) =>
    c.rows.map((r) => [
      c.title.split(",")[0],
      r.label,
      r.time ? r.time.median.toFixed(1) : "-",
      r === c.rows[0] ? (r.time ? "baseline" : "-") : r.speedup ? r.speedup.median.toFixed(2) : "-",
      r.status.length > 60 ? r.status.slice(0, 57) + "..." : r.status,
    ])
  );
  const head = ["bench: model", "engine", "ms/caption", "x baseline", "status"];
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (c: string[]) => c.map((x, j) => x.padEnd(w[j])).join("  ").trimEnd();
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

if (import.meta.main) {
  const passOn = Deno.args.filter((a) => a !== "--json");
  const all: Comparison[] = [];
  for (const b of BENCHES) {
    console.error(`running bench/${b.file} ...`);
    all.push(...await runBench(b.file, [...b.args, ...passOn]));
  }
  if (Deno.args.includes("--json")) console.log(JSON.stringify(all, null, 2));
  else {
    for (const c of all) console.log(formatComparison(c) + "\n");
    console.log("# Summary (1 WASM thread; ratio = baseline time / engine time, same run)");
    console.log(summaryTable(all));
  }
}
