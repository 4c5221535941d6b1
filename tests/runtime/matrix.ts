/**
 * The runtime matrix: the same checks (tests/runtime/checks.ts: both fixture models, greedy and
 * beam-4 ids and texts equal to the Python goldens) on Deno, Node (from the packed tarball),
 * Chromium page, Chromium module worker, workerd serving dist/workerd, and the Deno Deploy
 * handler on loopback; plus the browser demo captioning probe.png, with a screenshot.
 *
 * `deno task test:runtime [row...]` (rows: deno deno-webgpu node chromium-page chromium-worker
 * chromium-page-webgpu chromium-worker-webgpu workerd deploy demo; default all). The -webgpu rows
 * force device "webgpu" (Deno: llvmpipe from mesa-vulkan-drivers; Chromium: SwiftShader). Builds dist/ first unless `--no-build`. A runtime that is not
 * installed makes its rows skip with the reason printed. Each row prints its checks and time;
 * the last line is `runtime: N passed, N failed, N skipped`; exits 1 on any failure.
 * Output (logs, the demo screenshot) goes to tests/runtime/out/ (gitignored).
 * @module
 */
import { createRequire } from "node:module";
import type * as Esbuild from "../../node_modules/esbuild/lib/main.d.ts";
import { matrixCases, type MatrixResult } from "./checks.ts";
import {
  chromiumRows,
  denoRow,
  denoWebGpuRow,
  deployRow,
  nodeRow,
  type RowContext,
  type RowOutcome,
  run,
  workerdRow,
} from "./rows.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${REPO}/tests/runtime/out`;
const ROWS = [
  "deno",
  "deno-webgpu",
  "node",
  "chromium-page",
  "chromium-worker",
  "chromium-page-webgpu",
  "chromium-worker-webgpu",
  "workerd",
  "deploy",
  "demo",
] as const;

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
};

/** Every request the file server answered, for the rows' notes. */
const served: string[] = [];

/**
 * Serves the repository root on loopback, cross-origin isolated (so pages may use threads).
 * @returns the server and its origin
 */
function serveRepo(): { server: Deno.HttpServer; origin: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const headers = new Headers({
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
      "cross-origin-resource-policy": "same-origin",
      "cache-control": "no-store",
    });
    let status = 404;
    let body: Uint8Array | null = null;
    if (!path.split("/").includes("..")) {
      const file = `${REPO}${path.endsWith("/") ? `${path}index.html` : path}`;
      const info = await Deno.stat(file).catch(() => undefined);
      if (info?.isFile) {
        status = 200;
        body = req.method === "HEAD" ? null : await Deno.readFile(file);
        headers.set("content-length", String(info.size));
        const ext = file.slice(file.lastIndexOf("."));
        headers.set("content-type", MIME[ext] ?? "application/octet-stream");
      }
    }
    served.push(`${status} ${req.method} ${path}`);
    return new Response(body as BodyInit | null, { status, headers });
  });
  return { server, origin: `http://127.0.0.1:${server.addr.port}` };
}

/** Bundles checks.ts for pages, workers and Node, and writes the cases. */
async function prepareChecks(cases: unknown): Promise<string> {
  const esbuild = createRequire(import.meta.url)("esbuild") as typeof Esbuild;
  await Deno.mkdir(`${REPO}/dist/tests`, { recursive: true });
  await esbuild.build({
    entryPoints: [`${REPO}/tests/runtime/checks.ts`],
    outfile: `${REPO}/dist/tests/checks.js`,
    bundle: true,
    format: "esm",
    platform: "neutral",
    logLevel: "warning",
  });
  esbuild.stop();
  const path = `${REPO}/dist/tests/cases.json`;
  await Deno.writeTextFile(path, JSON.stringify(cases));
  return path;
}

function printRow(row: string, outcome: RowOutcome, ms: number): [number, number, number] {
  if ("skipped" in outcome) {
    console.log(`SKIP ${row}: ${outcome.skipped}`);
    return [0, 0, 1];
  }
  const failed = outcome.results.filter((r) => !r.ok).length;
  const passed = outcome.results.length - failed;
  console.log(
    `${failed ? "FAIL" : "ok  "} ${row}: ${passed} passed, ${failed} failed in ${
      (ms / 1000).toFixed(1)
    } s`,
  );
  for (const r of outcome.results) {
    console.log(
      `     ${r.ok ? "ok  " : "FAIL"} ${r.check} (${r.ms} ms)${r.ok ? "" : `: ${r.detail}`}`,
    );
  }
  for (const n of outcome.notes ?? []) console.log(`     note: ${n}`);
  return [passed, failed, 0];
}

/** The demo row's own check: the page showed the golden greedy text of vit-gpt2. */
function demoOutcome(raw: Record<string, unknown> | undefined, golden: string): MatrixResult[] {
  if (!raw) return [];
  const text = String(raw.text ?? "");
  const ok = text === golden && String(raw.status ?? "").includes("greedy");
  return [{
    check: "demo captions probe.png (greedy, vit-gpt2)",
    ok,
    detail: ok ? "" : `page showed ${JSON.stringify(text)} / ${raw.status}`,
    ms: Number(raw.ms ?? 0),
  }];
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => !a.startsWith("--"));
  const rows = args.length ? args : [...ROWS];
  for (const r of rows) {
    if (!(ROWS as readonly string[]).includes(r)) {
      console.error(`Unknown row "${r}": use ${ROWS.join(", ")}`);
      Deno.exit(2);
    }
  }
  const deno = Deno.execPath();
  await Deno.mkdir(OUT, { recursive: true });
  if (!Deno.args.includes("--no-build")) {
    const t0 = performance.now();
    const b = await run(deno, ["run", "-A", `${REPO}/scripts/build/build.ts`], { cwd: REPO });
    if (!b.ok) {
      console.log(`FAIL build: ${b.stderr.trim().split("\n").slice(-5).join(" | ")}`);
      console.log("runtime: 0 passed, 1 failed, 0 skipped");
      Deno.exit(1);
    }
    console.log(b.stdout.trim());
    console.log(`built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const goldens: Record<string, unknown> = {};
  for (const m of ["vit-gpt2", "trocr"]) {
    goldens[m] = JSON.parse(await Deno.readTextFile(`${REPO}/tests/fixtures/goldens/${m}.json`));
  }
  const cases = matrixCases(goldens);
  const casesPath = await prepareChecks(cases);
  const { server, origin } = serveRepo();
  const ctx: RowContext = { repo: REPO, origin, cases, casesPath, out: OUT, deno };
  let totals = [0, 0, 0];
  const add = (t: [number, number, number]): void => {
    totals = totals.map((v, i) => v + t[i]);
  };
  const browserRows = rows.filter((r) => r.startsWith("chromium-") || r === "demo");
  for (const row of rows) {
    const t0 = performance.now();
    let outcome: RowOutcome;
    try {
      if (row === "deno") outcome = await denoRow(ctx);
      else if (row === "deno-webgpu") outcome = await denoWebGpuRow(ctx);
      else if (row === "node") outcome = await nodeRow(ctx);
      else if (row === "workerd") outcome = await workerdRow(ctx);
      else if (row === "deploy") outcome = await deployRow(ctx);
      else if (row === browserRows[0]) {
        // One browser session for all browser rows; printed in order below.
        const before = served.length;
        const all = await chromiumRows(ctx, browserRows.map((r) => r.replace("chromium-", "")));
        const ms = performance.now() - t0;
        for (const r of browserRows) {
          const o = all.get(r.replace("chromium-", ""))!;
          const raw = "raw" in o ? o.raw : undefined;
          const shown: RowOutcome = r === "demo" && "results" in o && raw
            ? { results: demoOutcome(raw, cases[0].text), notes: [`screenshot ${raw.screenshot}`] }
            : o;
          add(printRow(r, shown, "raw" in o ? Number(o.raw?.ms ?? ms) : ms));
        }
        const missing = served.slice(before).filter((s) => s.startsWith("404"));
        if (missing.length) {
          console.log(`     note: 404s served to Chromium: ${missing.join("; ")}`);
        }
        continue;
      } else continue;
    } catch (e) {
      outcome = {
        results: [{ check: `${row} ran`, ok: false, detail: (e as Error).message, ms: 0 }],
      };
    }
    add(printRow(row, outcome, performance.now() - t0));
  }
  await server.shutdown();
  console.log(`runtime: ${totals[0]} passed, ${totals[1]} failed, ${totals[2]} skipped`);
  Deno.exit(totals[1] ? 1 : 0);
}
