/**
 * Beam search, num_beams 4, max_new_tokens 16, vit-gpt2 fixture, WASM, 1 thread:
 * - baseline: the reference beam loop over the export as shipped (decoder_model.onnx +
 *   decoder_with_past_model.onnx, encoder_hidden_states tiled to 4 rows, so cross-attention K/V
 *   are recomputed for every beam at every step; cache gathered by beam after every step);
 * - vedge: `generate(stepper, config)` from src/generation/generate.ts (reported "not run" until
 *   that file exists);
 * - transformers.js 4.3.1 asked for num_beams 4: it has no beam search (its BeamSearchSampler
 *   keeps only the first candidate), so it returns the greedy ids; the row says so and is timed
 *   as the greedy run it is.
 *
 * `deno run -A bench/beam_search.ts [--model vit-gpt2|trocr] [--quick] [--json]`
 * @module
 */
import { compare, type Comparison, formatComparison, planFromArgs } from "./support/compare.ts";
import { type FixtureModel, flag, goldenIds, readGolden, sameIds } from "./support/fixtures.ts";

/**
 * Runs the beam-search comparison.
 * @param model the fixture (vit-gpt2 by default: the export that recomputes cross-attention)
 * @param args command-line arguments (plan flags)
 * @returns the comparison
 */
export async function beamSearch(
  model: FixtureModel,
  args: readonly string[],
): Promise<Comparison> {
  const { plan } = planFromArgs(args);
  const golden = await readGolden(model);
  const beam4 = goldenIds(golden, "beam4");
  const greedy = goldenIds(golden, "greedy");
  const common = ["--model", model, "--num-beams", "4", "--max-new-tokens", "16"];
  const c = await compare(
    `beam_search: ${model}, num_beams 4, max_new_tokens 16, probe.png, WASM, 1 thread`,
    [
      {
        label: "reference beam search (export as shipped)",
        script: "engines/reference_beam.ts",
        args: common,
        expect: beam4,
        expectName: "beam4",
      },
      {
        label: "vedge generate(), encoder cache off",
        script: "engines/vedge.ts",
        args: [...common, "--encoder-cache", "off"],
        expect: beam4,
        expectName: "beam4",
      },
      {
        label: "transformers.js 4.3.1 (num_beams 4 requested)",
        script: "engines/transformers_js.ts",
        flags: ["--node-modules-dir=manual"],
        args: common,
        expect: null,
      },
    ],
    plan,
  );
  const tjs = c.rows[2];
  if (tjs.ids && tjs.status === "ok") {
    tjs.status = sameIds(tjs.ids, beam4)
      ? "ok: matches golden beam4"
      : sameIds(tjs.ids, greedy)
      ? "no beam search: returns the golden GREEDY ids, not beam4 (timed as greedy)"
      : `differs from golden beam4 and greedy: ${JSON.stringify(tjs.ids)}`;
  }
  return c;
}

if (import.meta.main) {
  const { json } = planFromArgs(Deno.args);
  const c = await beamSearch(flag(Deno.args, "model", "vit-gpt2") as FixtureModel, Deno.args);
  console.log(json ? JSON.stringify([c]) : formatComparison(c));
}
