/**
 * Every refusal of the caption server, on the real pipeline (vit-gpt2 fixture): its status code
 * and its `{"error": {"code", "message"}}` body. Body size 413 (declared, and while streaming),
 * pixels 400 (PIL's decompression-bomb limit), token and beam caps 400, unknown or invalid
 * options 400, bad image 400, wrong media type 415, wrong method 405, unknown path 404.
 */
import assert from "node:assert/strict";
import { PIL_MAX_IMAGE_PIXELS } from "../../src/image/decode.ts";
import {
  errorOf,
  imageBytes,
  postMultipart,
  postRaw,
  serveFixture,
  type TestServer,
} from "./server_test_support.ts";

/** A PNG signature and IHDR claiming width x height (what the bomb guard reads), then junk. */
function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(64);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const v = new DataView(b.buffer);
  v.setUint32(16, width);
  v.setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24); // 8-bit RGB
  return b;
}

async function expectError(r: Response, status: number, code: string): Promise<string> {
  const e = await errorOf(r);
  assert.equal(r.status, status, `${code}: ${e.message}`);
  assert.equal(e.code, code, e.message);
  assert.ok(e.message.length > 10 && !e.message.includes("\n"), "one clear line");
  return e.message;
}

async function withServer(fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await serveFixture("vit-gpt2", { maxBody: 4096, maxNewTokensCap: 32, numBeamsCap: 4 });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

Deno.test("server refuses bodies over --max-body with 413, declared or streamed", async () => {
  await withServer(async (s) => {
    const declared = await postRaw(s.url, new Uint8Array(5000));
    assert.match(await expectError(declared, 413, "BODY_TOO_LARGE"), /4096 bytes/);
    // no Content-Length: the server stops at the chunk that crosses the limit
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1000));
        if (pulled >= 10_000) c.close();
      },
    });
    const streamed = await postRaw(s.url, new Uint8Array(0), "", { body: endless });
    await expectError(streamed, 413, "BODY_TOO_LARGE");
    assert.ok(pulled < 10_000, `the server read ${pulled} of 10000 chunks`);
    // multipart counts its whole body
    const parts = await postMultipart(s.url, [["a.png", new Uint8Array(5000)]]);
    await expectError(parts, 413, "BODY_TOO_LARGE");
  });
});

Deno.test("server refuses images over PIL's pixel limit with 400 before decoding", async () => {
  await withServer(async (s) => {
    // PIL raises DecompressionBombError above 2 * MAX_IMAGE_PIXELS
    const side = Math.ceil(Math.sqrt(2 * PIL_MAX_IMAGE_PIXELS)) + 1;
    const msg = await expectError(
      await postRaw(s.url, pngHeader(side, side)),
      400,
      "IMAGE_TOO_LARGE",
    );
    assert.match(msg, new RegExp(`${side}x${side}`));
  });
});

Deno.test("server refuses a bad image with 400, naming it; the other requests still answer", async () => {
  await withServer(async (s) => {
    const [bad, good] = await Promise.all([
      postRaw(s.url, new TextEncoder().encode("not an image at all")),
      postRaw(s.url, imageBytes("probe.png"), "?max_new_tokens=16"),
    ]);
    assert.match(await expectError(bad, 400, "IMAGE_DECODE"), /"-".*neither PNG nor JPEG/);
    assert.equal(good.status, 200);
    assert.equal((await good.json()).sequences.length, 1);
    const mixed = await postMultipart(s.url, [
      ["probe.png", imageBytes("probe.png")],
      ["broken.png", imageBytes("probe.png").slice(0, 60)],
    ]);
    assert.match(await expectError(mixed, 400, "IMAGE_DECODE"), /broken\.png/);
    await expectError(await postRaw(s.url, new Uint8Array(0)), 400, "EMPTY_BODY");
  });
});

Deno.test("server holds options to the caps and to GenerationConfig's rules with 400", async () => {
  await withServer(async (s) => {
    const png = imageBytes("probe.png");
    const cases: [string, string, RegExp][] = [
      ["?max_new_tokens=33", "MAX_NEW_TOKENS_CAP", /max_new_tokens 33 .* cap of 32/],
      ["?max_length=100", "MAX_NEW_TOKENS_CAP", /max_length 100 allows 99/],
      ["?max_new_tokens=8&num_beams=5", "NUM_BEAMS_CAP", /num_beams 5 .* cap of 4/],
      ["?foo=1", "INVALID_OPTION", /Unknown generation option "foo"/],
      ["?num_beams=two", "INVALID_OPTION", /num_beams must be an integer/],
      ["?numBeams=2", "INVALID_OPTION", /snake_case/],
      ["?output_scores=true", "INVALID_OPTION", /not available over HTTP/],
      ["?num_beams=2&num_beams=3", "INVALID_OPTION", /given twice/],
      ["?max_new_tokens=8&num_return_sequences=2", "INVALID_OPTION", /greedy search/],
    ];
    for (const [query, code, message] of cases) {
      assert.match(await expectError(await postRaw(s.url, png, query), 400, code), message);
    }
    const form = new FormData();
    form.append("image", new File([png], "p.png"));
    form.append("options", "{not json");
    const r = await fetch(`${s.url}/v1/caption`, { method: "POST", body: form });
    assert.match(await expectError(r, 400, "INVALID_OPTION"), /not valid JSON/);
  });
});

Deno.test("server answers 415, 405, 404 and bad multipart with JSON errors", async () => {
  await withServer(async (s) => {
    const text = await fetch(`${s.url}/v1/caption`, { method: "POST", body: "hello" });
    await expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE");
    const get = await fetch(`${s.url}/v1/caption`);
    await expectError(get, 405, "METHOD_NOT_ALLOWED");
    assert.equal(get.headers.get("allow"), "POST");
    await expectError(
      await fetch(`${s.url}/healthz`, { method: "POST" }),
      405,
      "METHOD_NOT_ALLOWED",
    );
    await expectError(await fetch(`${s.url}/v2/caption`), 404, "NOT_FOUND");
    const form = new FormData();
    form.append("options", "{}");
    const none = await fetch(`${s.url}/v1/caption`, { method: "POST", body: form });
    assert.match(await expectError(none, 400, "BAD_MULTIPART"), /no image part/);
    const textPart = new FormData();
    textPart.append("image", "abc");
    const t = await fetch(`${s.url}/v1/caption`, { method: "POST", body: textPart });
    assert.match(await expectError(t, 400, "BAD_MULTIPART"), /not a file/);
  });
});

Deno.test("GET /v1/model reports the model, its backend with reasons, and the limits", async () => {
  await withServer(async (s) => {
    const r = await fetch(`${s.url}/v1/model`);
    assert.equal(r.status, 200);
    const m = await r.json();
    assert.equal(m.id, "vit-gpt2");
    assert.equal(m.backend.device, "wasm");
    assert.ok(m.backend.reasons.some((x: { accepted: boolean }) => x.accepted));
    assert.equal(m.limits.max_body_bytes, 4096);
    assert.equal(m.limits.max_new_tokens_cap, 32);
    assert.equal(m.limits.num_beams_cap, 4);
    const h = await fetch(`${s.url}/healthz`);
    assert.equal(h.status, 200);
    assert.equal((await h.json()).status, "ok");
  });
});
