/**
 * Load test of `deno task serve` on loopback: starts the server as its own process on a fixture
 * model, takes each request's answer alone first (one client, one request at a time), then lets
 * 16 concurrent clients send up to 1,000 requests (bounded by --duration-s) and reports
 * throughput, p50/p90/p99 latency, the server's peak RSS (VmHWM), the batches it formed, and
 * whether every answer equals the single-request answer byte for byte. Exits 1 when a request
 * was lost, failed or answered differently. Not a timed test: numbers depend on the machine load,
 * which is printed with them.
 *
 * `deno run -A bench/serve.ts [--model vit-gpt2|trocr] [--clients 16] [--requests 1000]
 *  [--duration-s 60] [--max-batch 8] [--batch-window-ms 5] [--json]`
 * @module
 */
import { type FixtureModel, flag, modelDir, ROOT } from "./support/fixtures.ts";
import { quantile } from "./support/stats.ts";

const ARGS = Deno.args;
const MODEL = flag(ARGS, "model", "vit-gpt2") as FixtureModel;
const CLIENTS = Number(flag(ARGS, "clients", "16"));
const REQUESTS = Number(flag(ARGS, "requests", "1000"));
const DURATION_S = Number(flag(ARGS, "duration-s", "60"));
const MAX_BATCH = flag(ARGS, "max-batch", "8");
const WINDOW_MS = flag(ARGS, "batch-window-ms", "5");
const JSON_OUT = ARGS.includes("--json");

/** The request mix: every image with greedy and beam-4 options. */
const IMAGES = ["probe.png", "probe2.png", "probe.jpg"];
const QUERIES = ["?max_new_tokens=16", "?max_new_tokens=16&num_beams=4"];

interface Server {
  child: Deno.ChildProcess;
  url: string;
}

async function startServer(): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
      "--unstable-no-legacy-abort",
      new URL("src/server/serve.ts", ROOT).pathname,
      "--model",
      modelDir(MODEL).pathname,
      "--port",
      "0",
      "--max-batch",
      MAX_BATCH,
      "--batch-window-ms",
      WINDOW_MS,
      "--queue",
      String(Math.max(64, CLIENTS * 2)),
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the server exited before listening:\n${text}`);
    text += value;
    const m = text.match(/listening on (http:\/\/\S+)\//);
    if (m) {
      // keep draining stderr so the server never blocks on it
      (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })();
      return { child, url: m[1] };
    }
  }
}

function peakRssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? NaN);
  return kb / 1024;
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? NaN) / 1024;
}

async function post(url: string, body: Uint8Array<ArrayBuffer>, query: string) {
  const r = await fetch(`${url}/v1/caption${query}`, {
    method: "POST",
    body,
    headers: { "content-type": "image/png" },
  });
  return { status: r.status, text: await r.text() };
}

async function main(): Promise<number> {
  const bytes = IMAGES.map((f) => Deno.readFileSync(new URL(`tests/fixtures/images/${f}`, ROOT)));
  const combos = IMAGES.flatMap((_, i) => QUERIES.map((q) => ({ image: i, query: q })));
  const loadBefore = Deno.loadavg();
  const server = await startServer();
  const pid = server.child.pid;
  try {
    // the single-request answers
    const solo: string[] = [];
    for (const c of combos) {
      const r = await post(server.url, bytes[c.image], c.query);
      if (r.status !== 200) throw new Error(`solo request failed: ${r.status} ${r.text}`);
      solo.push(r.text);
    }
    const rssIdle = rssMiB(pid);
    // the load
    let next = 0;
    const latencies: number[] = [];
    let failed = 0, wrong = 0;
    const statuses: Record<number, number> = {};
    const started = performance.now();
    const end = started + DURATION_S * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (next < REQUESTS && performance.now() < end) {
        const i = next++;
        const c = combos[i % combos.length];
        const t0 = performance.now();
        try {
          const r = await post(server.url, bytes[c.image], c.query);
          latencies.push(performance.now() - t0);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status !== 200) failed++;
          else if (r.text !== solo[i % combos.length]) wrong++;
        } catch {
          failed++;
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const health = await (await fetch(`${server.url}/healthz`)).json();
    const peak = peakRssMiB(pid);
    latencies.sort((a, b) => a - b);
    const sent = next;
    const answered = latencies.length;
    const report = {
      model: MODEL,
      clients: CLIENTS,
      sent,
      answered,
      lost: sent - answered,
      failed,
      wrong_answers: wrong,
      statuses,
      seconds: +seconds.toFixed(2),
      requests_per_s: +(answered / seconds).toFixed(2),
      latency_ms: {
        p50: +quantile(latencies, 0.5).toFixed(1),
        p90: +quantile(latencies, 0.9).toFixed(1),
        p99: +quantile(latencies, 0.99).toFixed(1),
        max: +(latencies.at(-1) ?? NaN).toFixed(1),
      },
      server_rss_mib: { after_warmup: +rssIdle.toFixed(1), peak: +peak.toFixed(1) },
      batches: health.batches,
      mean_batch: +(health.images / health.batches).toFixed(2),
      largest_batch: health.largest_batch,
      settings: { max_batch: Number(MAX_BATCH), batch_window_ms: Number(WINDOW_MS) },
      mix: combos.map((c) => `${IMAGES[c.image]}${c.query}`),
      load_average: { before: loadBefore, after: Deno.loadavg() },
      cpus: navigator.hardwareConcurrency,
    };
    if (JSON_OUT) console.log(JSON.stringify(report));
    else {
      console.log(
        `bench/serve.ts: ${MODEL}, ${CLIENTS} clients, ${sent} requests in ${report.seconds} s
  answered ${answered}, lost ${report.lost}, failed ${failed}, answers different from solo ${wrong}
  throughput ${report.requests_per_s} req/s; latency p50 ${report.latency_ms.p50} ms, p90 ${report.latency_ms.p90} ms, p99 ${report.latency_ms.p99} ms, max ${report.latency_ms.max} ms
  server RSS ${report.server_rss_mib.after_warmup} MiB after warm-up, peak ${report.server_rss_mib.peak} MiB
  ${report.batches} batches total (solo warm-up included), mean ${report.mean_batch} images, largest ${report.largest_batch} (--max-batch ${MAX_BATCH}, --batch-window-ms ${WINDOW_MS})
  load average before ${loadBefore.join(" ")}, after ${
          report.load_average.after.join(" ")
        } (${report.cpus} CPUs)`,
      );
    }
    return report.lost || failed || wrong ? 1 : 0;
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
}

if (import.meta.main) Deno.exit(await main());
