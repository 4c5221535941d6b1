/**
 * Aborting half of 16 concurrent mixed calls (issue 10: AbortSignal.timeout never interrupted
 * generation, the event loop being blocked for a whole caption): the aborted calls reject with
 * AbortError within one decoder step of the abort, whether the abort came from a timer
 * (AbortSignal.timeout) or by hand after k tokens; the other calls are unchanged (equal their
 * solo results); no rejection goes unhandled.
 */
import assert from "node:assert/strict";
import type { GenerateOutput } from "../../src/generation/generate.ts";
import { MODELS } from "../support/goldens.ts";
import {
  type Call,
  countUnhandledRejections,
  loadFixture,
  mixedCalls,
  pixelsFor,
  runSolo,
  settle,
  type Source,
} from "./calls.ts";

/** How an aborted call is stopped. */
type Stop = { by: "timeout"; ms: number } | { by: "hand"; afterTokens: number };

interface Aborted {
  call: Call;
  stop: Stop;
  /** Tokens streamed when the signal fired, and in all (greedy and sampling calls only). */
  atAbort: number | null;
  streamed: number;
}

for (const model of MODELS) {
  for (const from of ["onnx", "safetensors"] as Source[]) {
    Deno.test(`aborting half of 16 concurrent calls on ${model} (${from}): AbortError for those, the rest unchanged`, async () => {
      const unhandled = countUnhandledRejections();
      const { model: m, golden: g } = await loadFixture(model, from);
      try {
        const calls = mixedCalls(g);
        const kept = calls.filter((_, i) => i % 2 === 0);
        const solo = await runSolo(m, g, kept);
        const aborted: Aborted[] = [];
        const runs = calls.map((c, i): Promise<GenerateOutput> => {
          if (i % 2 === 0) return m.generate(pixelsFor(g, c.images), c.kwargs);
          // long enough that no abort can come too late: every position of the decoder
          const beams = Number(c.kwargs.num_beams ?? 1) > 1;
          const stop: Stop = beams || i % 4 === 1
            ? { by: "timeout", ms: 10 }
            : { by: "hand", afterTokens: 3 };
          const a: Aborted = { call: c, stop, atAbort: null, streamed: 0 };
          aborted.push(a);
          const ac = new AbortController();
          const signal = stop.by === "timeout" ? AbortSignal.timeout(stop.ms) : ac.signal;
          signal.addEventListener("abort", () => (a.atAbort = a.streamed));
          const kwargs = { ...c.kwargs, max_new_tokens: 60, min_new_tokens: 60, signal };
          const streamer = beams ? undefined : {
            onToken: () => {
              a.streamed++;
              if (stop.by === "hand" && a.streamed === stop.afterTokens) ac.abort();
            },
          };
          return m.generate(pixelsFor(g, c.images), { ...kwargs, streamer });
        });
        const results = await Promise.allSettled(runs);
        let k = 0;
        calls.forEach((c, i) => {
          const r = results[i];
          if (i % 2 === 0) {
            assert.equal(
              r.status,
              "fulfilled",
              `${c.name}: ${(r as PromiseRejectedResult).reason}`,
            );
            const out = (r as PromiseFulfilledResult<GenerateOutput>).value;
            assert.deepEqual(out.sequences, solo[i / 2].sequences, `${c.name}: same ids as alone`);
            assert.deepEqual(out.sequencesScores, solo[i / 2].sequencesScores, c.name);
            return;
          }
          const a = aborted[k++];
          assert.equal(r.status, "rejected", `${c.name} (${a.stop.by}) was not aborted`);
          const e = (r as PromiseRejectedResult).reason as Error;
          assert.equal(e.name, "AbortError", `${c.name}: ${e}`);
          if (a.stop.by === "hand") {
            assert.equal(a.streamed, a.stop.afterTokens, `${c.name}: no step after the abort`);
          } else if (a.atAbort !== null) {
            assert.ok(a.streamed <= a.atAbort + 1, `${c.name}: at most one step after the abort`);
          }
        });
        // the model still works after the aborts
        const again = await m.generate(pixelsFor(g, kept[0].images), kept[0].kwargs);
        assert.deepEqual(again.sequences, solo[0].sequences);
        await settle();
        assert.equal(unhandled.count(), 0, "unhandled rejections");
      } finally {
        unhandled.stop();
        await m.dispose();
      }
    });
  }
}
