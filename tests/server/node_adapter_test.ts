/**
 * The caption handler behind `node:http` (run here through Deno's Node compatibility): answers,
 * refusals and a client disconnect (with a body too big for Deno.serve to notice) reach the
 * handler as they do under Deno.serve.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createCaptionServer } from "../../src/server/handler.ts";
import { nodeListener } from "../../src/server/node_adapter.ts";
import { errorOf, postRaw, ScriptedModel, waitFor } from "./server_test_support.ts";

async function listen(model: ScriptedModel, limits = {}) {
  const app = createCaptionServer(model, { limits, log: () => {} });
  const server = http.createServer(nodeListener(app.fetch));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async (): Promise<void> => {
    await app.drain();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { app, url, close };
}

Deno.test("node:http adapter: answers, refusals with their status and JSON error", async () => {
  const s = await listen(new ScriptedModel(0), { maxBody: 1000 });
  try {
    const ok = await postRaw(s.url, new Uint8Array([7, 1, 2]), "?num_beams=2");
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), {
      image: "-",
      sequences: [{ text: "red 7", token_ids: [2, 107, 2], score: null }],
    });
    const big = await postRaw(s.url, new Uint8Array(2000));
    assert.equal(big.status, 413);
    assert.equal((await errorOf(big)).code, "BODY_TOO_LARGE");
    const get = await fetch(`${s.url}/v1/caption`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal((await errorOf(get)).code, "METHOD_NOT_ALLOWED");
  } finally {
    await s.close();
  }
});

Deno.test("node:http adapter: a client that disconnects aborts its running work", async () => {
  const model = new ScriptedModel(10_000);
  const s = await listen(model);
  try {
    const gone = new AbortController();
    const body = new Uint8Array(5000).fill(9);
    const r = postRaw(s.url, body, "", { signal: gone.signal }).catch((e) => e);
    await waitFor("the request to run", () => model.running === 1);
    gone.abort();
    await waitFor("the work to be aborted", () => model.aborted === 1 && model.running === 0);
    assert.ok((await r) instanceof Error);
    assert.equal(s.app.stats.running, 0);
  } finally {
    await s.close();
  }
});
