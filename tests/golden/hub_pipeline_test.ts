/**
 * A Hub id end to end: pipeline("image-to-text", "org/name") downloads through a local Hub on
 * 127.0.0.1 (HF_ENDPOINT), captions as the golden says, and, with the server gone, loads again
 * from the cache alone.
 */
import assert from "node:assert/strict";
import { pipeline } from "../../mod.ts";
import { startFixtureServer } from "../../src/hub/test_server.ts";
import { golden, imagePath } from "../support/goldens.ts";

Deno.test("pipeline() loads a Hub id through the endpoint, then from the cache with the server gone", async () => {
  const cacheDir = await Deno.makeTempDir();
  const server = startFixtureServer();
  const g = await golden("trocr");
  const expected = g.generate.find((c) => c.name === "greedy")!.text[0];
  try {
    const online = await pipeline("image-to-text", "fixtures/trocr", {
      endpoint: server.origin,
      cacheDir,
      device: "wasm",
    });
    assert.deepEqual(await online(imagePath("probe.png"), { max_new_tokens: 16 }), [
      { generated_text: expected },
    ]);
    await online.dispose();
    assert.ok(server.count("GET", "/fixtures/trocr/resolve/main/onnx/encoder_model.onnx") === 1);
  } finally {
    await server.close();
  }
  const cached = await pipeline("image-to-text", "fixtures/trocr", {
    endpoint: server.origin,
    cacheDir,
    offline: true,
    device: "wasm",
  });
  const out = await cached([imagePath("probe.png")], { max_new_tokens: 16 });
  assert.deepEqual(out, [[{ generated_text: expected }]]);
  await cached.dispose();
});
