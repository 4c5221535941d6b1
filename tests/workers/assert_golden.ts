/**
 * Test support: a pipeline's caption results against a golden case (token ids and texts
 * identical, beam scores within 1e-4 and closer than the case's candidate gap).
 * @module
 */
import assert from "node:assert/strict";
import type { CaptionResult } from "../../src/pipeline/image_to_text.ts";
import type { GoldenCase } from "../support/goldens.ts";

/**
 * Asserts one pipeline result against a golden case.
 * @param results the pipeline's results for the case's images
 * @param c the golden case
 * @param label names the run in messages
 */
export function assertGolden(results: CaptionResult[], c: GoldenCase, label: string): void {
  const seqs = results.flatMap((r) => r.sequences);
  assert.deepEqual(seqs.map((s) => s.tokenIds), c.sequences, `${label}: token ids`);
  assert.deepEqual(seqs.map((s) => s.text), c.text, `${label}: text`);
  if (c.sequences_scores) {
    const tol = Math.min(1e-4, c.min_candidate_score_gap);
    seqs.forEach((s, i) =>
      assert.ok(
        s.score !== null && Math.abs(s.score - c.sequences_scores![i]) <= tol,
        `${label}: score ${i}: ${s.score} vs ${c.sequences_scores![i]}`,
      )
    );
  } else assert.ok(seqs.every((s) => s.score === null), `${label}: no scores`);
}
