/**
 * 16 concurrent generate calls with mixed options on one model (issue 10: 5 of 16 were rejected
 * with "output name cannot be empty" / ERROR_CODE 0 before the run queue), on both fixtures,
 * from the ONNX export and from vedge's own graphs: each equals its solo result and its golden
 * (ids exact, beam scores within the case's tolerance); a 1 ms interval fires while they run;
 * no rejection goes unhandled. Two models on one onnxruntime instance run concurrently too.
 */
import assert from "node:assert/strict";
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
import type { GenerateOutput } from "../../src/generation/generate.ts";

function assertGolden(c: Call, out: GenerateOutput): void {
  if (!c.golden) return;
  assert.deepEqual(out.sequences, c.golden.sequences, `${c.name}: golden ids`);
  if (c.golden.sequences_scores) {
    const tol = Math.min(1e-4, c.golden.min_candidate_score_gap);
    out.sequencesScores!.forEach((s, i) =>
      assert.ok(Math.abs(s - c.golden!.sequences_scores![i]) <= tol, `${c.name}: score ${i}`)
    );
  }
}

for (const model of MODELS) {
  for (const from of ["onnx", "safetensors"] as Source[]) {
    Deno.test(`16 concurrent mixed calls on ${model} (${from}) equal their solo results and goldens`, async () => {
      const unhandled = countUnhandledRejections();
      const { model: m, golden: g } = await loadFixture(model, from);
      try {
        const calls = mixedCalls(g);
        // concurrent first, in the fresh process state where the failures showed
        let active = 0, ticksWhileGenerating = 0;
        const timer = setInterval(() => {
          if (active > 0) ticksWhileGenerating++;
        }, 1);
        let together: PromiseSettledResult<GenerateOutput>[];
        try {
          together = await Promise.allSettled(calls.map(async (c) => {
            active++;
            try {
              return await m.generate(pixelsFor(g, c.images), c.kwargs);
            } finally {
              active--;
            }
          }));
        } finally {
          clearInterval(timer);
        }
        const solo = await runSolo(m, g, calls);
        calls.forEach((c, i) => {
          const r = together[i];
          assert.equal(r.status, "fulfilled", `${c.name}: ${(r as PromiseRejectedResult).reason}`);
          const out = (r as PromiseFulfilledResult<GenerateOutput>).value;
          assert.deepEqual(out.sequences, solo[i].sequences, `${c.name}: same ids as alone`);
          assert.deepEqual(out.sequencesScores, solo[i].sequencesScores, `${c.name}: same scores`);
          assertGolden(c, out);
        });
        assert.ok(
          ticksWhileGenerating >= 3,
          `a 1 ms interval fired ${ticksWhileGenerating} times while 16 calls generated`,
        );
        await settle();
        assert.equal(unhandled.count(), 0, "unhandled rejections");
      } finally {
        unhandled.stop();
        await m.dispose();
      }
    });
  }
}

Deno.test("two models on one onnxruntime instance generate concurrently, each as alone", async () => {
  const a = await loadFixture("vit-gpt2", "onnx");
  const b = await loadFixture("trocr", "safetensors");
  try {
    const ca = mixedCalls(a.golden).slice(0, 8), cb = mixedCalls(b.golden).slice(0, 8);
    const [ta, tb] = await Promise.all([
      Promise.all(ca.map((c) => a.model.generate(pixelsFor(a.golden, c.images), c.kwargs))),
      Promise.all(cb.map((c) => b.model.generate(pixelsFor(b.golden, c.images), c.kwargs))),
    ]);
    ca.forEach((c, i) => assertGolden(c, ta[i]));
    cb.forEach((c, i) => assertGolden(c, tb[i]));
  } finally {
    await a.model.dispose();
    await b.model.dispose();
  }
});
