/**
 * The load test in a fresh process (tests/concurrency/abort_rounds.ts, through the
 * pipeline, with --expose-gc): 16 concurrent mixed calls right after loading all succeed and equal
 * the same calls run alone; then rounds of 16 concurrent calls, half aborted, each round giving
 * 8 AbortErrors and 8 unchanged captions; memory returns to its level (the JS heap and array
 * buffers stay flat, RSS stops growing once the WASM heap has reached its working size); no
 * unhandled rejection.
 */
import assert from "node:assert/strict";

const ROUNDS = 10;
const MB = 2 ** 20;

interface Round {
  abortErrors: number;
  otherErrors: string[];
  keptEqual: number;
  rss: number;
  heapUsed: number;
  /** Array buffers: freed some time after gc(), so they swing by tens of MB between rounds. */
  external: number;
}

Deno.test("a fresh process: 16 concurrent calls, then abort rounds, memory back to its level", async () => {
  const script = new URL("./abort_rounds.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", script, String(ROUNDS)],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.ok(!stderr.includes("onnxruntime"), `onnxruntime wrote to stderr:\n${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const r = JSON.parse(lines[lines.length - 1]) as {
    freshRejected: number;
    freshEqual: number;
    gc: boolean;
    rounds: Round[];
    unhandled: number;
  };
  assert.equal(r.freshRejected, 0, "calls rejected right after loading");
  assert.equal(r.freshEqual, 16, "calls equal to their solo results right after loading");
  assert.ok(r.gc, "the script ran with --expose-gc");
  r.rounds.forEach((round, i) => {
    assert.deepEqual(round.otherErrors, [], `round ${i}: errors other than AbortError`);
    assert.equal(round.abortErrors, 8, `round ${i}: AbortErrors`);
    assert.equal(round.keptEqual, 8, `round ${i}: unaborted calls equal to their solo results`);
  });
  const first = r.rounds[0], settled = r.rounds[4], last = r.rounds[ROUNDS - 1];
  const grew = (a: number, b: number): string => `${((b - a) / MB).toFixed(2)} MB`;
  assert.ok(
    last.heapUsed - first.heapUsed < 2 * MB,
    `JS heap grew ${grew(first.heapUsed, last.heapUsed)} over ${ROUNDS - 1} abort rounds`,
  );
  // no new high: the lowest of the last rounds stays under the highest of the early ones
  const early = Math.max(...r.rounds.slice(1, 5).map((x) => x.external));
  const late = Math.min(...r.rounds.slice(-3).map((x) => x.external));
  assert.ok(
    late - early < 8 * MB,
    `array buffers grew ${grew(early, late)} over the rounds (${
      r.rounds.map((x) => (x.external / MB).toFixed(1)).join(", ")
    } MB)`,
  );
  assert.ok(
    last.rss - settled.rss < 24 * MB,
    `RSS grew ${grew(settled.rss, last.rss)} over the last ${ROUNDS - 5} abort rounds`,
  );
  assert.equal(r.unhandled, 0, "unhandled rejections");
});
