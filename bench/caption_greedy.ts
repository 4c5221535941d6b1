/**
 * vedge against transformers.js 4.3.1 on the same fixture files: greedy, max_new_tokens 16,
 * probe.png repeated, onnxruntime-web WASM, 1 thread. Prints ms per caption for each engine and
 * the ratio (transformers.js time / vedge time, measured in the same interleaved rounds).
 *
 * `deno run -A bench/caption_greedy.ts [--model vit-gpt2|trocr|all] [--quick] [--json]`
 * @module
 */
import { compare, type Comparison, formatComparison, planFromArgs } from "./support/compare.ts";
import { type FixtureModel, flag, goldenIds, readGolden } from "./support/fixtures.ts";

const TJS_FLAGS = ["--node-modules-dir=manual"];

/**
 * Runs the greedy comparison for one fixture model.
 * @param model the fixture
 * @param args command-line arguments (plan flags)
 * @returns the comparison
 */
export async function captionGreedy(
  model: FixtureModel,
  args: readonly string[],
): Promise<Comparison> {
  const { plan } = planFromArgs(args);
  const expect = goldenIds(await readGolden(model), "greedy");
  const common = ["--model", model, "--num-beams", "1", "--max-new-tokens", "16"];
  return await compare(
    `caption_greedy: ${model}, greedy, max_new_tokens 16, probe.png, WASM, 1 thread`,
    [
      {
        label: "transformers.js 4.3.1",
        script: "engines/transformers_js.ts",
        flags: TJS_FLAGS,
        args: common,
        expect,
        expectName: "greedy",
      },
      {
        label: "vedge, encoder cache off",
        script: "engines/vedge.ts",
        args: [...common, "--encoder-cache", "off"],
        expect,
        expectName: "greedy",
      },
      {
        label: "vedge, encoder cache on (repeated image)",
        script: "engines/vedge.ts",
        args: [...common, "--encoder-cache", "on"],
        expect,
        expectName: "greedy",
      },
    ],
    plan,
  );
}

if (import.meta.main) {
  const which = flag(Deno.args, "model", "all");
  const models: FixtureModel[] = which === "all" ? ["vit-gpt2", "trocr"] : [which as FixtureModel];
  const { json } = planFromArgs(Deno.args);
  const results: Comparison[] = [];
  for (const m of models) {
    const c = await captionGreedy(m, Deno.args);
    results.push(c);
    if (!json) console.log(formatComparison(c) + "\n");
  }
  if (json) console.log(JSON.stringify(results));
}
