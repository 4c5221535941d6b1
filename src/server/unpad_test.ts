import assert from "node:assert/strict";
import { golden, MODELS } from "../../tests/support/goldens.ts";
import { ownLength, unpadResult } from "./unpad.ts";

const seq = (tokenIds: number[]) => ({ text: tokenIds.join(","), tokenIds, score: null });
const decode = (ids: number[]): string => ids.join(",");

for (const model of MODELS) {
  Deno.test(`unpadResult() turns Python's batch2_greedy rows into its solo goldens (${model})`, async () => {
    const g = await golden(model);
    const byName = (n: string) => g.generate.find((c) => c.name === n)!;
    const batch = byName("batch2_greedy");
    const eos = [g.special_tokens.eos_token_id];
    ["greedy", "greedy_probe2"].forEach((solo, i) => {
      const alone = unpadResult({ sequences: [seq(batch.sequences[i])] }, eos, decode);
      assert.deepEqual(alone.sequences[0].tokenIds, byName(solo).sequences[0]);
    });
  });
}

Deno.test("ownLength() skips the prompt (a start token may be the EOS) and ends at the first EOS", () => {
  assert.equal(ownLength([2, 5, 6, 2, 2, 2], [2], 1), 4);
  assert.equal(ownLength([2, 5, 6, 7], [2], 1), 4, "no EOS: max_length reached");
  assert.equal(ownLength([0, 5, 2, 1, 1], [2, 9], 1), 3);
  assert.equal(ownLength([0, 5, 9, 1], [2, 9], 1), 3, "any of several EOS ids");
});

Deno.test("unpadResult() cuts a beam group to its own longest sequence and re-decodes cut texts", () => {
  // Python pads a batch's beam outputs to min(max(sent_lengths) + 1, max_length) over the batch:
  // here the batch was 7 long, this image's longest hypothesis needs 5.
  const r = {
    sequences: [
      { text: "x", tokenIds: [0, 4, 5, 6, 2, 1, 1], score: -1.5 },
      { text: "y", tokenIds: [0, 4, 2, 1, 1, 1, 1], score: -1.75 },
    ],
  };
  const alone = unpadResult(r, [2], decode);
  assert.deepEqual(alone.sequences.map((s) => s.tokenIds), [[0, 4, 5, 6, 2], [0, 4, 2, 1, 1]]);
  assert.deepEqual(alone.sequences.map((s) => s.score), [-1.5, -1.75]);
  assert.deepEqual(alone.sequences.map((s) => s.text), ["0,4,5,6,2", "0,4,2,1,1"]);
  const full = { sequences: [{ text: "z", tokenIds: [0, 4, 5], score: null }] };
  assert.equal(unpadResult(full, [2], decode), full, "nothing to cut: the same object");
});
