/**
 * Golden parity of generation: every `generate` case of both fixture models, through the model
 * API, with the merged decoder and with the decoder pair. Token ids must be identical, beam
 * scores within 1e-4 (and closer than the case's min_candidate_score_gap).
 */
import assert from "node:assert/strict";
import { folderFiles } from "../../src/hub/folder_files.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { detectPlatform } from "../../src/platform/detect.ts";
import { golden, type GoldenCase, modelDir, MODELS } from "../support/goldens.ts";

function pixelsFor(g: Awaited<ReturnType<typeof golden>>, images: string[]) {
  const parts = images.map((i) => g.pixel_values[i]);
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * per));
  return { data, dims: [parts.length, ...parts[0].dims.slice(1)] };
}

for (const model of MODELS) {
  for (const decoder of ["merged", "pair"] as const) {
    Deno.test(`generate() reproduces every golden case of ${model} (${decoder} decoder)`, async (t) => {
      const platform = await detectPlatform();
      const files = folderFiles(model, modelDir(model), platform);
      const m = await VisionEncoderDecoderModel.fromFiles(files, { device: "wasm", decoder });
      const g = await golden(model);
      try {
        for (const c of g.generate as GoldenCase[]) {
          await t.step(c.name, async () => {
            const out = await m.generate(pixelsFor(g, c.images), c.kwargs);
            assert.deepEqual(out.sequences, c.sequences);
            if (c.sequences_scores) {
              assert.ok(out.sequencesScores, "beam search returns sequences_scores");
              const tol = Math.min(1e-4, c.min_candidate_score_gap);
              out.sequencesScores.forEach((s, i) =>
                assert.ok(
                  Math.abs(s - c.sequences_scores![i]) <= tol,
                  `score ${i}: ${s} vs ${c.sequences_scores![i]}`,
                )
              );
            } else assert.equal(out.sequencesScores, null);
          });
        }
      } finally {
        await m.dispose();
      }
    });
  }
}
