/**
 * 16 concurrent clients on loopback against the real pipeline (vit-gpt2 fixture): no request is
 * lost, requests share batches, and every answer equals the answer the same request gets alone
 * (token ids, text and beam score, exactly), though a batch pads its shorter rows.
 */
import assert from "node:assert/strict";
import { imageBytes, postRaw, serveFixture } from "./server_test_support.ts";

const IMAGES = ["probe.png", "probe2.png", "probe.jpg"];
const QUERIES = ["?max_new_tokens=16", "?max_new_tokens=16&num_beams=3"];
const CLIENTS = 16;
const PER_CLIENT = 3;

Deno.test("16 concurrent clients: none lost, batched, every answer equals the solo answer", async () => {
  const s = await serveFixture("vit-gpt2", { maxBatch: 8, batchWindowMs: 20 });
  try {
    const combos = IMAGES.flatMap((image) => QUERIES.map((query) => ({ image, query })));
    const solo: string[] = [];
    for (const c of combos) {
      const r = await postRaw(s.url, imageBytes(c.image), c.query);
      assert.equal(r.status, 200);
      solo.push(JSON.stringify(await r.json()));
    }
    const before = s.app.stats;
    assert.equal(before.largestBatch, 1, "solo requests ran alone");
    const answers = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const got: { combo: number; status: number; body: string }[] = [];
        for (let j = 0; j < PER_CLIENT; j++) {
          const combo = (client + j * 5) % combos.length;
          const r = await postRaw(s.url, imageBytes(combos[combo].image), combos[combo].query);
          got.push({ combo, status: r.status, body: JSON.stringify(await r.json()) });
        }
        return got;
      }),
    );
    const all = answers.flat();
    assert.equal(all.length, CLIENTS * PER_CLIENT);
    for (const a of all) {
      assert.equal(a.status, 200, a.body);
      assert.equal(a.body, solo[a.combo], `${combos[a.combo].image} ${combos[a.combo].query}`);
    }
    const after = s.app.stats;
    assert.equal(after.items - before.items, CLIENTS * PER_CLIENT, "every image ran once");
    assert.ok(after.largestBatch > 1, `requests shared batches (largest ${after.largestBatch})`);
  } finally {
    await s.close();
  }
});
