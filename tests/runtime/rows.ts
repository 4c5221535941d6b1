/**
 * The rows of the runtime matrix: how each runtime is found (or why it is skipped), started and
 * asked to run tests/runtime/checks.ts's cases. Every row returns the same MatrixResult list.
 * @module
 */
import { type Captioned, type MatrixCase, type MatrixResult, runMatrixCases } from "./checks.ts";
import { workerdConfig } from "./workerd/config.ts";

/** What every row needs to know. */
export interface RowContext {
  /** Repository root. */
  repo: string;
  /** Origin of the matrix's file server (the repository root over HTTP). */
  origin: string;
  /** The cases. */
  cases: MatrixCase[];
  /** dist/tests/cases.json. */
  casesPath: string;
  /** Where rows may write (logs, screenshots, temporary folders). */
  out: string;
  /** The deno binary. */
  deno: string;
}

/** A row's outcome: results, or the reason it could not run. */
export type RowOutcome =
  | { results: MatrixResult[]; notes?: string[] }
  | { skipped: string };

const decoder = new TextDecoder();

/**
 * Runs a command to completion.
 * @param cmd program
 * @param args arguments
 * @param options cwd and env
 * @returns exit success, stdout and stderr
 */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, ...options, stdin: "null" }).output();
    return { ok: r.success, stdout: decoder.decode(r.stdout), stderr: decoder.decode(r.stderr) };
  } catch (e) {
    return { ok: false, stdout: "", stderr: `cannot run ${cmd}: ${(e as Error).message}` };
  }
}

/** The last line of a command's stdout parsed as the results JSON, or a failure naming why. */
function resultsFrom(r: { ok: boolean; stdout: string; stderr: string }): MatrixResult[] {
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as MatrixResult[];
  } catch {
    const why = (r.stderr.trim().split("\n").slice(-3).join(" | ") || last).slice(0, 600);
    throw new Error(`the runner printed no results (exit ${r.ok ? 0 : "non-zero"}): ${why}`);
  }
}

/**
 * Deno: mod.ts by path, no config, from an empty folder, read + env permissions only.
 * @param ctx the context
 * @returns the outcome
 */
export async function denoRow(ctx: RowContext): Promise<RowOutcome> {
  const cwd = await Deno.makeTempDir({ prefix: "vedge-deno-" });
  const r = await run(ctx.deno, [
    "run",
    "--no-config",
    "--allow-read",
    "--allow-env",
    `${ctx.repo}/tests/runtime/deno/run.ts`,
    ctx.casesPath,
    `${ctx.repo}/tests/fixtures`,
  ], { cwd, env: { NO_COLOR: "1" } });
  return { results: resultsFrom(r) };
}

/**
 * Deno with WebGPU forced (`--unstable-webgpu`): the golden cases, bytes per step and logits
 * parity (tests/runtime/deno/run_webgpu.ts). Skips, naming why, when Deno finds no adapter
 * (install mesa-vulkan-drivers for llvmpipe).
 * @param ctx the context
 * @returns the outcome
 */
export async function denoWebGpuRow(ctx: RowContext): Promise<RowOutcome> {
  const cwd = await Deno.makeTempDir({ prefix: "vedge-deno-webgpu-" });
  const runtimeDir = await Deno.makeTempDir({ prefix: "vedge-xdg-" });
  const cmd = new Deno.Command(ctx.deno, {
    args: [
      "run",
      "--unstable-webgpu",
      "--no-config",
      "--allow-read",
      "--allow-env",
      `${ctx.repo}/tests/runtime/deno/run_webgpu.ts`,
      ctx.casesPath,
      `${ctx.repo}/tests/fixtures`,
    ],
    cwd,
    env: { NO_COLOR: "1", XDG_RUNTIME_DIR: runtimeDir },
    stdin: "null",
  });
  const out = await cmd.output();
  const stderr = decoder.decode(out.stderr);
  if (out.code === 3) return { skipped: stderr.trim().split("\n").pop() ?? "no WebGPU adapter" };
  const notes = stderr.split("\n").filter((l) =>
    l.includes("bytes per decoder run") || l.startsWith("auto: ")
  );
  return {
    results: resultsFrom({ ok: out.success, stdout: decoder.decode(out.stdout), stderr }),
    notes,
  };
}

/**
 * Node 20+: `npm pack`, install the tarball into an empty folder, `import("vedge")`.
 * @param ctx the context
 * @returns the outcome
 */
export async function nodeRow(ctx: RowContext): Promise<RowOutcome> {
  const v = await run("node", ["--version"]);
  if (!v.ok) return { skipped: "node is not installed" };
  const major = Number(v.stdout.trim().replace(/^v/, "").split(".")[0]);
  if (!(major >= 20)) return { skipped: `node ${v.stdout.trim()} is older than 20` };
  const dir = await Deno.makeTempDir({ prefix: "vedge-node-" });
  const pack = await run("npm", ["pack", ctx.repo, "--pack-destination", dir, "--silent"], {
    cwd: dir,
  });
  if (!pack.ok) throw new Error(`npm pack failed: ${pack.stderr.trim().slice(0, 400)}`);
  const tarball = `${dir}/${pack.stdout.trim().split("\n").pop()}`;
  await Deno.writeTextFile(`${dir}/package.json`, '{"name": "try-vedge", "private": true}');
  const install = await run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--ignore-scripts",
    "--offline",
    tarball,
  ], { cwd: dir });
  if (!install.ok) throw new Error(`npm install of the tarball failed: ${install.stderr.trim()}`);
  await Deno.copyFile(`${ctx.repo}/tests/runtime/node/run.mjs`, `${dir}/run.mjs`);
  const r = await run("node", [
    "run.mjs",
    ctx.casesPath,
    `${ctx.repo}/tests/fixtures`,
    `file://${ctx.repo}/dist/tests/checks.js`,
  ], { cwd: dir });
  const size = (await Deno.stat(tarball)).size;
  return { results: resultsFrom(r), notes: [`tarball ${(size / 2 ** 20).toFixed(1)} MiB`] };
}

/** Why Chromium rows cannot run here, or undefined when they can. */
export async function chromiumMissing(repo: string): Promise<string | undefined> {
  const exe = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
  if (!(await Deno.stat(exe).catch(() => undefined))) {
    return `${exe} is not installed (apt-get install chromium)`;
  }
  if (!(await Deno.stat(`${repo}/node_modules/playwright-core`).catch(() => undefined))) {
    return "playwright-core is not in node_modules (npm ci)";
  }
  if (!(await run("node", ["--version"])).ok) return "node is not installed";
  return undefined;
}

/**
 * The Chromium rows (page, worker) and the demo, in one browser session.
 * @param ctx the context
 * @param rows which rows
 * @returns each row's outcome, keyed by row
 */
export async function chromiumRows(
  ctx: RowContext,
  rows: string[],
): Promise<Map<string, RowOutcome & { raw?: Record<string, unknown> }>> {
  const out = new Map<string, RowOutcome & { raw?: Record<string, unknown> }>();
  const missing = await chromiumMissing(ctx.repo);
  if (missing) {
    for (const row of rows) out.set(row, { skipped: missing });
    return out;
  }
  const r = await run("node", [
    `${ctx.repo}/tests/runtime/browser/run_chromium.mjs`,
    ctx.origin,
    `${ctx.out}/chromium`,
    ...rows,
  ], {
    cwd: ctx.repo,
    env: { DEMO_IMAGE: `${ctx.repo}/tests/fixtures/images/probe.png` },
  });
  const lines = r.stdout.trim().split("\n").filter((l) => l.startsWith("{"));
  for (const row of rows) {
    const line = lines.map((l) => JSON.parse(l)).find((j) => j.row === row);
    if (!line) {
      const why = r.stderr.trim().split("\n").slice(-3).join(" | ");
      out.set(row, {
        results: [{ check: `${row} ran`, ok: false, detail: why || "no output", ms: 0 }],
      });
      continue;
    }
    const notes = [...(line.failedRequests ?? []).map((f: string) => `request: ${f}`)];
    if (line.error) {
      out.set(row, {
        results: [{ check: `${row} ran`, ok: false, detail: line.error, ms: line.ms }],
        notes,
        raw: line,
      });
    } else {
      out.set(row, { results: line.results ?? [], notes, raw: line });
    }
  }
  return out;
}

/**
 * Captions each case by POSTing probe.png to an HTTP endpoint per model.
 * @param ctx the context
 * @param urlOf the endpoint serving a model
 * @returns results
 */
function httpCases(
  ctx: RowContext,
  urlOf: (model: string) => string,
): Promise<MatrixResult[]> {
  return runMatrixCases(ctx.cases, async (c): Promise<Captioned> => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(c.kwargs)) query.set(k, JSON.stringify(v));
    const body = await Deno.readFile(`${ctx.repo}/tests/fixtures/images/${c.image}`);
    const type = c.image.endsWith(".jpg") ? "image/jpeg" : "image/png";
    const res = await fetch(`${urlOf(c.model)}/v1/caption?${query}`, {
      method: "POST",
      body,
      headers: { "content-type": type },
    });
    const j = await res.json();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${j.error?.code}: ${j.error?.message}`);
    return { tokenIds: j.sequences[0].token_ids, text: j.sequences[0].text };
  });
}

/** Waits until a server answers /healthz, or the process exits, or time runs out. */
async function waitHealthy(url: string, child: Deno.ChildProcess, ms: number): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const end = Date.now() + ms;
  while (Date.now() < end && !exited) {
    try {
      const r = await fetch(`${url}/healthz`);
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up${exited ? " (the server exited)" : ""}`);
}

/** A free loopback port. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a server process, runs `body`, stops it, keeping its stderr in a log file. */
async function withServer<T>(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; log: string; url: string },
  body: () => Promise<T>,
): Promise<T> {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(options.log, { write: true, create: true, truncate: true });
  const piping = Promise.all([
    child.stdout.pipeTo(log.writable, { preventClose: true }),
    child.stderr.pipeTo(log.writable, { preventClose: true }),
  ]).catch(() => {});
  try {
    await waitHealthy(options.url, child, 60_000);
    return await body();
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await piping;
    log.close();
  }
}

/**
 * workerd (npm `workerd`) serving dist/workerd/worker.js, one Worker per model, fetching the
 * model from the matrix's file server.
 * @param ctx the context
 * @returns the outcome
 */
export async function workerdRow(ctx: RowContext): Promise<RowOutcome> {
  // The platform package's binary itself where it is known: the npm wrapper (a Node script
  // that runs it as a child) would leave workerd running when killed.
  const direct = `${ctx.repo}/node_modules/@cloudflare/workerd-linux-64/bin/workerd`;
  const bin = (await Deno.stat(direct).catch(() => undefined))
    ? direct
    : `${ctx.repo}/node_modules/.bin/workerd`;
  const v = await run(bin, ["--version"]);
  if (!v.ok) return { skipped: `the workerd binary does not run (${v.stderr.trim() || "npm ci"})` };
  const models = [...new Set(ctx.cases.map((c) => c.model))];
  const services = models.map((m) => ({
    name: m.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
    port: freePort(),
    model: `${ctx.origin}/tests/fixtures/models/${m}`,
  }));
  const config = `${ctx.repo}/dist/workerd/matrix.capnp`;
  await Deno.writeTextFile(config, workerdConfig(".", services));
  const urlOf = (m: string): string => `http://127.0.0.1:${services[models.indexOf(m)].port}`;
  const results = await withServer(bin, ["serve", config, "--verbose"], {
    log: `${ctx.out}/workerd.log`,
    url: urlOf(models[0]),
  }, () => httpCases(ctx, urlOf));
  return { results, notes: [v.stdout.trim()] };
}

/**
 * The Deno Deploy handler (examples/deno-deploy/main.ts) on loopback, one server per model,
 * started as the example's comment says.
 * @param ctx the context
 * @returns the outcome
 */
export async function deployRow(ctx: RowContext): Promise<RowOutcome> {
  const results: MatrixResult[] = [];
  for (const model of [...new Set(ctx.cases.map((c) => c.model))]) {
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const cases = ctx.cases.filter((c) => c.model === model);
    results.push(
      ...await withServer(ctx.deno, [
        "run",
        "--no-config",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        `${ctx.repo}/examples/deno-deploy/main.ts`,
      ], {
        env: {
          VEDGE_MODEL: `${ctx.repo}/tests/fixtures/models/${model}`,
          PORT: String(port),
          HOST: "127.0.0.1",
          NO_COLOR: "1",
        },
        log: `${ctx.out}/deploy-${model}.log`,
        url,
      }, () => httpCases({ ...ctx, cases }, () => url)),
    );
  }
  return { results };
}
