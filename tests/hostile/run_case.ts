/**
 * Runs one hostile case as a user would meet it: the CLI in a child process, under a wall-clock
 * limit and a resident-memory cap (polled from /proc), and sorts the outcome into the classes the
 * corpus reports: a clear error, a crash (stack trace, uncaught error, native log, signal), a
 * hang (past the time limit), a runaway allocation (past the memory cap), or a normal result.
 * @module
 */

/** How a case ended. */
export type Outcome = "ok" | "clear" | "crash" | "hang" | "runaway";

/** What one case run produced. */
export interface CaseRun {
  outcome: Outcome;
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssMiB: number;
  ms: number;
  /** Why it is not "ok"/"clear", for the failure message. */
  why: string;
}

/** Limits of one run. */
export interface RunLimits {
  timeoutMs: number;
  rssCapMiB: number;
}

const CLI_DIR = new URL("../../src/cli/", import.meta.url).pathname;

function rssMiB(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = status.match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Lines that show the user internals instead of one clear sentence. */
const CRASH_MARKS: [RegExp, string][] = [
  [/^\s+at .*(\(|:\d+:\d+)/m, "stack trace"],
  [/Uncaught|unhandled|panicked|RUST_BACKTRACE/i, "uncaught error or panic"],
  [/\[[EWF]:onnxruntime/, "onnxruntime native log"],
  [
    /unwrap_throw|\bundefined\b.*reading|is not a function|Maximum call stack/,
    "internal error text",
  ],
];

/**
 * Runs `deno run <cli>.ts args` and classifies what happened.
 * @param cli "caption" or "convert" (a file in src/cli)
 * @param args command-line arguments
 * @param env extra environment
 * @param limits time and memory caps
 * @returns the classified run
 */
export async function runCase(
  cli: string,
  args: string[],
  env: Record<string, string>,
  limits: RunLimits,
): Promise<CaseRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
      `${CLI_DIR}${cli}.ts`,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1", ...env },
  }).spawn();
  let peak = 0;
  let killedFor: "hang" | "runaway" | null = null;
  const poll = setInterval(() => {
    peak = Math.max(peak, rssMiB(child.pid));
    if (peak > limits.rssCapMiB && !killedFor) {
      killedFor = "runaway";
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }, 25);
  const timer = setTimeout(() => {
    if (killedFor) return;
    killedFor = "hang";
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, limits.timeoutMs);
  const out = await child.output();
  clearInterval(poll);
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const base = { code: out.code, stdout, stderr, peakRssMiB: Math.round(peak), ms: 0 };
  base.ms = Math.round(performance.now() - started);
  if (killedFor === "hang") {
    return { ...base, outcome: "hang", why: `no answer in ${limits.timeoutMs} ms` };
  }
  if (killedFor === "runaway") {
    return { ...base, outcome: "runaway", why: `RSS passed ${limits.rssCapMiB} MiB` };
  }
  if (out.signal) return { ...base, outcome: "crash", why: `killed by ${out.signal}` };
  for (const [re, what] of CRASH_MARKS) {
    if (re.test(stderr)) return { ...base, outcome: "crash", why: what };
  }
  if (out.code === 0) return { ...base, outcome: "ok", why: "" };
  const lines = stderr.split("\n").filter((l) => l.trim() && !/^vedge: (warning|progress)/.test(l));
  const errors = lines.filter((l) => l.startsWith("vedge: "));
  if (errors.length === 0) {
    return { ...base, outcome: "crash", why: "non-zero exit without a 'vedge: ' error line" };
  }
  if (lines.length > errors.length) {
    return {
      ...base,
      outcome: "crash",
      why: `error is not one line per failure (${lines.length})`,
    };
  }
  return { ...base, outcome: "clear", why: "" };
}
