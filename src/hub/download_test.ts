import assert from "node:assert/strict";
import { download, headExists, type HttpPolicy, HttpStatusError } from "./download.ts";

// A fetch stand-in lets these tests send bodies whose length disagrees with Content-Length
// without a network that notices first.
function policyFor(respond: (init: RequestInit | undefined) => Response, calls: string[] = []) {
  const policy: HttpPolicy = {
    fetch: (input, init) => {
      calls.push(`${init?.method} ${String(input)}`);
      return Promise.resolve(respond(init));
    },
    headers: {},
    retries: 1,
    retryDelayMs: 1,
  };
  return policy;
}

const body = (n: number): Uint8Array<ArrayBuffer> => new Uint8Array(n).map((_, i) => i % 251);

Deno.test("download() rejects a body shorter than its Content-Length, after retrying", async () => {
  const calls: string[] = [];
  const policy = policyFor(
    () => new Response(body(10), { headers: { "content-length": "1000" } }),
    calls,
  );
  await assert.rejects(
    download("http://h/f", policy),
    { message: "response cut short: 10 of 1000 bytes at http://h/f (after 2 attempts)" },
  );
  assert.equal(calls.length, 2);
});

Deno.test("download() rejects a body longer than its Content-Length", async () => {
  const policy = policyFor(() => new Response(body(20), { headers: { "content-length": "5" } }));
  await assert.rejects(download("http://h/f", policy), /longer than its Content-Length 5/);
});

Deno.test("download() skips the length check when the body was content-encoded", async () => {
  const policy = policyFor(() =>
    new Response(body(300), { headers: { "content-length": "40", "content-encoding": "gzip" } })
  );
  assert.deepEqual(await download("http://h/f", policy), body(300));
});

Deno.test("download() streams every chunk to the sink and reports progress", async () => {
  const stream = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(body(3));
        c.enqueue(body(4));
        c.close();
      },
    });
  const policy = policyFor(() => new Response(stream(), { headers: { "content-length": "7" } }));
  const sunk: number[] = [];
  const progress: [number, number | undefined][] = [];
  const got = await download("http://h/f", policy, {
    sink: async (chunks) => {
      for await (const c of chunks) sunk.push(c.length);
    },
    onProgress: (loaded, total) => progress.push([loaded, total]),
  });
  assert.deepEqual(got, new Uint8Array([...body(3), ...body(4)]));
  assert.deepEqual(sunk, [3, 4]);
  assert.deepEqual(progress, [[3, 7], [7, 7]]);
});

Deno.test("download() gives up at once on 4xx and after the retries on 5xx", async () => {
  const calls: string[] = [];
  await assert.rejects(
    download("http://h/f", policyFor(() => new Response("x", { status: 403 }), calls)),
    (e: Error) => e instanceof HttpStatusError && e.status === 403,
  );
  assert.equal(calls.length, 1);
  await assert.rejects(
    download("http://h/f", policyFor(() => new Response("x", { status: 502 }), calls)),
    { message: "HTTP 502 at http://h/f (after 2 attempts)" },
  );
  assert.equal(calls.length, 3);
});

Deno.test("download() stops when its signal aborts, without retrying", async () => {
  const ac = new AbortController();
  const calls: string[] = [];
  const policy: HttpPolicy = {
    ...policyFor(() => new Response("x"), calls),
    fetch: (input, init) => {
      calls.push(String(input));
      ac.abort(new Error("stop"));
      return Promise.reject(init?.signal?.reason);
    },
    signal: ac.signal,
  };
  await assert.rejects(download("http://h/f", policy), { message: "stop" });
  assert.equal(calls.length, 1);
});

Deno.test("headExists() counts redirects as present and does not follow them", async () => {
  const seen: (RequestInit | undefined)[] = [];
  const answer = (status: number) =>
    policyFor((init) => {
      seen.push(init);
      return new Response(null, { status, headers: status === 302 ? { location: "/x" } : {} });
    });
  assert.equal(await headExists("http://h/f", answer(302)), true);
  assert.equal(seen[0]?.redirect, "manual");
  assert.equal(seen[0]?.method, "HEAD");
  assert.equal(await headExists("http://h/f", answer(200)), true);
  assert.equal(await headExists("http://h/f", answer(404)), false);
  await assert.rejects(headExists("http://h/f", answer(401)), /HTTP 401 at http:\/\/h\/f/);
});
