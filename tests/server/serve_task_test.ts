/**
 * `deno task serve` as a process, with the task's flags: it prints where it listens, refuses bad
 * flags with one line, frees a disconnected client's slot, and on SIGTERM finishes the requests
 * it has taken, then exits 0.
 */
import assert from "node:assert/strict";
import { modelDir } from "../support/goldens.ts";
import { imageBytes, postMultipart } from "./server_test_support.ts";

/**
 * A 2x2 PNG. Deno 2.9.6's HTTP/1.1 server aborts request.signal on a client disconnect only when
 * the request body was small enough to arrive whole with the head (under about 1 KB); with a
 * bigger body the signal never fires (see README, "Server"). The disconnect case uses a tiny
 * image so that it tests the server, not that runtime bug. (Not 1x1: images 1 pixel tall
 * are refused when decoded, as the processor cannot take them, so they never reach the queue.)
 */
const TINY_PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGNQ9cqfsvMeg4Zv0fQ9DwElvAYleIzUFAAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

const SERVE = new URL("../../src/server/serve.ts", import.meta.url).pathname;
const FLAGS = [
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--unstable-no-legacy-abort",
];

interface Running {
  child: Deno.ChildProcess;
  url: string;
  stderr: () => string;
}

async function start(args: string[]): Promise<Running> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, SERVE, ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const pump = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += value;
    }
  };
  const pumped = pump();
  const end = Date.now() + 60_000;
  while (!/listening on (http:\/\/\S+)\//.test(text)) {
    if (Date.now() > end) throw new Error(`server did not start:\n${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = text.match(/listening on (http:\/\/\S+)\//)![1];
  return {
    child,
    url,
    stderr: () => text,
    [Symbol.asyncDispose]: () => pumped,
  } as Running;
}

/** Polls /healthz until `ok` holds of it, failing after 20 s. */
async function until(url: string, what: string, ok: (h: { queued: number }) => boolean) {
  const end = Date.now() + 20_000;
  while (!ok(await (await fetch(`${url}/healthz`)).json())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("serve refuses a bad flag with one line and exit code 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, SERVE, "--model", modelDir("vit-gpt2"), "--max-batch", "lots"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 2);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.equal(err, 'vedge: --max-batch takes a non-negative integer, got "lots"');
  const zero = await new Deno.Command(Deno.execPath(), {
    args: [...FLAGS, SERVE, "--model", modelDir("vit-gpt2"), "--queue", "0"],
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(zero.code, 2);
  assert.equal(
    new TextDecoder().decode(zero.stderr).trim(),
    "vedge: --queue must be at least 1, got 0",
  );
});

Deno.test("serve frees a disconnected client's slot, and on SIGTERM finishes what it took", async () => {
  const s = await start([
    "--model",
    modelDir("vit-gpt2"),
    "--port",
    "0",
    "--batch-window-ms",
    "60000", // images wait for companions until SIGTERM drains them
    "--max-batch",
    "8",
  ]);
  try {
    // a client that goes away while its image waits in the queue
    const gone = new AbortController();
    const abandoned = postMultipart(s.url, [["probe.png", imageBytes("probe.png")]]);
    void abandoned.catch(() => {});
    const dropped = fetch(`${s.url}/v1/caption`, {
      method: "POST",
      body: TINY_PNG,
      headers: { "content-type": "image/png" },
      signal: gone.signal,
    }).catch((e) => e);
    await until(s.url, "two images queued", (h) => h.queued === 2);
    gone.abort();
    assert.ok((await dropped) instanceof Error);
    await until(s.url, "the abandoned image dropped", (h) => h.queued === 1);
    // three more requests are taken, then SIGTERM: all four are answered, then exit 0
    const taken = ["probe.png", "probe2.png", "probe.jpg"].map((f) =>
      postMultipart(s.url, [[f, imageBytes(f)]], { max_new_tokens: 16, num_beams: 4 })
    );
    await until(s.url, "four images queued", (h) => h.queued === 4);
    s.child.kill("SIGTERM");
    const answers = await Promise.all([abandoned, ...taken]);
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200]);
    for (const r of answers) assert.equal((await r.json()).results.length, 1);
    const status = await s.child.status;
    assert.equal(status.code, 0, s.stderr());
    assert.match(s.stderr(), /SIGTERM: finishing 4 images/);
    assert.match(s.stderr(), /stopped/);
    await fetch(`${s.url}/healthz`).then(
      () => assert.fail("still accepting connections after shutdown"),
      () => {},
    );
  } finally {
    try {
      s.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await s.child.status;
  }
});
