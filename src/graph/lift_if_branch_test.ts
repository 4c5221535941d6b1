import assert from "node:assert/strict";
import { decodeModel, encodeModel } from "./onnx_io.ts";
import { hasIfBranches, liftIfBranch } from "./lift_if_branch.ts";
import {
  boolScalar,
  decoderFeeds,
  maxAbsDiff,
  type OrtTensor,
  runModel,
} from "./ort_test_support.ts";

const ROOT = new URL("../../tests/fixtures/models/", import.meta.url);
const read = (p: string): Uint8Array => Deno.readFileSync(new URL(p, ROOT));

const CASES = [
  { model: "vit-gpt2", hidden: 32 },
  { model: "trocr", hidden: 40 },
];

for (const { model, hidden } of CASES) {
  const mergedBytes = read(`${model}/onnx/decoder_model_merged.onnx`);
  const merged = decodeModel(mergedBytes);
  const mergedInputs = (merged.graph?.input ?? []).map((v) => v.name ?? "");

  for (const useCache of [false, true]) {
    const splitFile = useCache ? "decoder_with_past_model.onnx" : "decoder_model.onnx";
    Deno.test(`liftIfBranch(${useCache}) of ${model}'s merged decoder equals the merged run and ${splitFile}`, async () => {
      assert.ok(hasIfBranches(merged));
      const lifted = liftIfBranch(merged, useCache);
      const g = lifted.graph!;
      const names = (g.input ?? []).map((v) => v.name ?? "");
      assert.ok(!names.includes("use_cache_branch"));
      // The no-past branch really ignores the cache inputs; the with-past one reads them all.
      const pastNames = mergedInputs.filter((n) => n.startsWith("past_key_values"));
      if (useCache) { for (const p of pastNames) assert.ok(names.includes(p), p); }
      else assert.deepEqual(names, ["input_ids", "encoder_hidden_states"]);
      assert.deepEqual(
        (g.output ?? []).map((o) => o.name),
        (merged.graph?.output ?? []).map((o) => o.name),
      );
      // Only initializers the branch reads are kept, and they share the merged file's bytes.
      for (const t of g.initializer ?? []) {
        if (t.rawData && t.rawData.length > 0) assert.equal(t.rawData.buffer, mergedBytes.buffer);
      }

      const batch = 2;
      const { feeds } = decoderFeeds(mergedInputs, {
        rows: batch,
        seq: useCache ? 1 : 3,
        past: useCache ? 3 : 0,
        encSeq: 17,
        hidden,
      });
      const ref = await runModel(mergedBytes, { ...feeds, use_cache_branch: boolScalar(useCache) });
      const own: Record<string, OrtTensor> = {};
      for (const n of names) own[n] = feeds[n];
      const out = await runModel(encodeModel(lifted), own);

      const split = decodeModel(read(`${model}/onnx/${splitFile}`));
      const splitFeeds: Record<string, OrtTensor> = {};
      for (const v of split.graph?.input ?? []) splitFeeds[v.name ?? ""] = feeds[v.name ?? ""];
      const splitOut = await runModel(read(`${model}/onnx/${splitFile}`), splitFeeds);

      let worst = 0;
      let worstSplit = 0;
      for (const name of Object.keys(splitOut)) {
        worst = Math.max(worst, maxAbsDiff(ref[name], out[name]));
        worstSplit = Math.max(worstSplit, maxAbsDiff(splitOut[name], out[name]));
      }
      console.log(
        `  ${model} ${useCache ? "with-past" : "no-past"}: max |lifted - merged| = ${worst}, ` +
          `max |lifted - ${splitFile}| = ${worstSplit}`,
      );
      assert.ok(worst <= 1e-6, `lifted vs merged ${worst}`);
      assert.ok(worstSplit <= 1e-6, `lifted vs ${splitFile} ${worstSplit}`);
    });
  }
}

Deno.test("liftIfBranch() refuses a model without an If on the condition", () => {
  const plain = decodeModel(read("vit-gpt2/onnx/decoder_model.onnx"));
  assert.equal(hasIfBranches(plain), false);
  assert.throws(
    () => liftIfBranch(plain, true),
    /expected one top-level If on "use_cache_branch", found 0/,
  );
});
