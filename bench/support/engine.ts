/**
 * Engines run in their own processes (transformers.js needs Deno's `--node-modules-dir=manual`
 * to resolve its pinned onnxruntime-web build; vedge needs the project's import map), so the
 * runs of two engines can be interleaved round by round without sharing a wasm heap. This file
 * is both sides of one small protocol: JSON lines prefixed with `@@bench ` on the engine's
 * stdout, commands as JSON lines on its stdin.
 * @module
 */

/** What an engine process does once per timed sample. */
export interface BenchEngine {
  /** Runs one unit of work (one caption) and returns the token ids of each returned sequence. */
  run(): Promise<number[][]>;
  /** Facts to print (decoder file, thread count, cache setting). */
  info: Record<string, string | number | boolean>;
}

/** The engine's first message: loaded, checked once against the goldens. */
export interface ReadyMessage {
  kind: "ready";
  /** Token ids of the first (untimed) run. */
  ids: number[][];
  /** Time to load the model (sessions created), ms. */
  loadMs: number;
  /** Time of the first run (cold), ms. */
  firstMs: number;
  info: Record<string, string | number | boolean>;
}

/** Answer to a `time` command. */
export interface TimesMessage {
  kind: "times";
  /** One wall-clock duration per run, ms. */
  times: number[];
}

/** A failure inside the engine. */
export interface ErrorMessage {
  kind: "error";
  message: string;
}

/** Everything an engine says. */
export type EngineMessage = ReadyMessage | TimesMessage | ErrorMessage;

/** Everything an engine is told. */
export type EngineCommand = { op: "time"; runs: number } | { op: "quit" };

const PREFIX = "@@bench ";

function say(m: EngineMessage): void {
  console.log(PREFIX + JSON.stringify(m));
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

/**
 * The engine side: loads, runs once, then answers `time` commands until `quit` or end of input.
 * @param load creates the engine (model sessions loaded)
 * @returns when told to quit
 */
export async function serveEngine(load: () => Promise<BenchEngine>): Promise<void> {
  try {
    const t0 = performance.now();
    const engine = await load();
    const t1 = performance.now();
    const ids = await engine.run();
    const t2 = performance.now();
    say({ kind: "ready", ids, loadMs: t1 - t0, firstMs: t2 - t1, info: engine.info });
    for await (const line of lines(Deno.stdin.readable)) {
      if (!line.trim()) continue;
      const cmd = JSON.parse(line) as EngineCommand;
      if (cmd.op === "quit") break;
      const times: number[] = [];
      for (let i = 0; i < cmd.runs; i++) {
        const s = performance.now();
        await engine.run();
        times.push(performance.now() - s);
      }
      say({ kind: "times", times });
    }
  } catch (e) {
    say({ kind: "error", message: String((e as Error)?.stack ?? e) });
  }
}

/** How to start an engine process. */
export interface EngineSpec {
  /** Row label, e.g. "vedge (encoder cache off)". */
  label: string;
  /** Engine script, relative to bench/. */
  script: string;
  /** Extra `deno run` flags, e.g. ["--node-modules-dir=manual"]. */
  flags?: string[];
  /** Arguments for the script. */
  args: string[];
}

/** The host side of one running engine. */
export interface EngineHandle {
  spec: EngineSpec;
  ready: ReadyMessage;
  /** Times `runs` runs, one sample each. */
  time(runs: number): Promise<number[]>;
  /** Ends the process. */
  close(): Promise<void>;
}

/**
 * Starts an engine process and waits until it has loaded and run once.
 * @param spec what to start
 * @returns a handle, or the engine's error
 */
export async function startEngine(spec: EngineSpec): Promise<EngineHandle> {
  const script = new URL(`../${spec.script}`, import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...(spec.flags ?? []), script.pathname, ...spec.args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  const out = lines(child.stdout)[Symbol.asyncIterator]();
  const next = async (): Promise<EngineMessage> => {
    for (;;) {
      const r = await out.next();
      if (r.done) throw new Error(`${spec.label}: engine exited without answering`);
      if (r.value.startsWith(PREFIX)) {
        const m = JSON.parse(r.value.slice(PREFIX.length)) as EngineMessage;
        if (m.kind === "error") throw new Error(`${spec.label}: ${m.message}`);
        return m;
      }
    }
  };
  const send = (c: EngineCommand) =>
    writer.write(new TextEncoder().encode(JSON.stringify(c) + "\n"));
  let ready: EngineMessage;
  try {
    ready = await next();
  } catch (e) {
    await writer.close().catch(() => {});
    await child.status;
    throw e;
  }
  if (ready.kind !== "ready") throw new Error(`${spec.label}: expected ready, got ${ready.kind}`);
  return {
    spec,
    ready,
    async time(runs: number): Promise<number[]> {
      await send({ op: "time", runs });
      const m = await next();
      if (m.kind !== "times") throw new Error(`${spec.label}: expected times, got ${m.kind}`);
      return m.times;
    },
    async close(): Promise<void> {
      await send({ op: "quit" }).catch(() => {});
      await writer.close().catch(() => {});
      await child.status;
    },
  };
}
