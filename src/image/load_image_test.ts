import assert from "node:assert/strict";
import { loadImage } from "./load_image.ts";
import { ImageDecodeError } from "../errors.ts";
import { createDenoPlatform } from "../platform/deno.ts";

const FIX = new URL("../../tests/fixtures/", import.meta.url);
const probePath = new URL("images/probe.png", FIX).pathname;
const readFile = (p: string): Promise<Uint8Array> => Deno.readFile(p);

Deno.test("loadImage() reads paths, file URLs, bytes, ArrayBuffers and Blobs to the same RGB", async () => {
  const bytes = await Deno.readFile(probePath);
  const ref = await loadImage(bytes);
  assert.equal(`${ref.width}x${ref.height}`, "61x47");
  for (
    const input of [
      probePath,
      new URL("images/probe.png", FIX),
      bytes.slice().buffer,
      new Blob([bytes]),
    ]
  ) {
    const img = await loadImage(input, { readFile });
    assert.deepEqual(img, ref);
  }
});

Deno.test("loadImage() needs an injected readFile for paths", async () => {
  await assert.rejects(loadImage(probePath), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /platform adapter/);
    return true;
  });
  await assert.rejects(
    loadImage("/no/such/file.png", { readFile }),
    (e: unknown) => e instanceof ImageDecodeError && /no\/such\/file/.test(e.message),
  );
});

Deno.test("loadImage() fetches URLs and turns HTTP errors into ImageDecodeError", async () => {
  const bytes = await Deno.readFile(probePath);
  const seen: string[] = [];
  const fakeFetch = (url: string): Promise<Response> => {
    seen.push(url);
    return Promise.resolve(
      url.endsWith("ok.png")
        ? new Response(bytes)
        : new Response("nope", { status: 404, statusText: "Not Found" }),
    );
  };
  const img = await loadImage("https://example.com/ok.png", { fetch: fakeFetch });
  assert.equal(img.width, 61);
  await assert.rejects(
    loadImage(new URL("https://example.com/missing.png"), { fetch: fakeFetch }),
    (e: unknown) => e instanceof ImageDecodeError && /HTTP 404 Not Found/.test(e.message),
  );
  assert.deepEqual(seen, ["https://example.com/ok.png", "https://example.com/missing.png"]);
});

Deno.test("loadImage() converts raw gray, RGB and RGBA pixels like PIL's convert('RGB')", async () => {
  const gray = await loadImage({ data: new Uint8Array([7, 9]), width: 2, height: 1, channels: 1 });
  assert.deepEqual(Array.from(gray.data), [7, 7, 7, 9, 9, 9]);
  const rgba = await loadImage({
    data: new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 128]),
    width: 2,
    height: 1,
  });
  assert.deepEqual(Array.from(rgba.data), [1, 2, 3, 4, 5, 6]);
  const rgb = await loadImage({
    data: new Uint8Array([1, 2, 3]),
    width: 1,
    height: 1,
    channels: 3,
  });
  assert.deepEqual(Array.from(rgb.data), [1, 2, 3]);
  await assert.rejects(
    loadImage({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }),
    RangeError,
  );
});

Deno.test("loadImage() refuses file: URLs naming another host instead of reading a local file", async () => {
  let read = 0;
  const counting = (p: string): Promise<Uint8Array> => (read++, Deno.readFile(p));
  for (const url of [`file://example.com${probePath}`, new URL(`file://10.0.0.1${probePath}`)]) {
    await assert.rejects(
      loadImage(url, { readFile: counting }),
      (e: unknown) =>
        e instanceof ImageDecodeError &&
        /a file: URL with a host \("[^"]+"\) names another machine/.test(e.message),
    );
  }
  assert.equal(read, 0);
  assert.equal((await loadImage(`file://localhost${probePath}`, { readFile: counting })).width, 61);
});

Deno.test("loadImage() with the platform's readFile refuses FIFOs and /dev/zero at once, and files over maxFileBytes", async () => {
  const platform = createDenoPlatform();
  const readFile = platform.readFile;
  const dir = await Deno.makeTempDir();
  try {
    const fifo = `${dir}/pipe.png`;
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    await Deno.symlink("/dev/zero", `${dir}/zero.png`);
    const t0 = performance.now();
    await assert.rejects(
      loadImage(fifo, { readFile }),
      (e: unknown) =>
        e instanceof ImageDecodeError &&
        e.message === `Cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`,
    );
    await assert.rejects(
      loadImage(`${dir}/zero.png`, { readFile }),
      (e: unknown) =>
        e instanceof ImageDecodeError && /character device, not a regular file/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 2000);
    await assert.rejects(
      loadImage(probePath, { readFile, maxFileBytes: 100 }),
      (e: unknown) =>
        e instanceof ImageDecodeError &&
        /exceeds 100 bytes, the image limit \(option maxFileBytes\)/.test(e.message),
    );
    await assert.rejects(
      loadImage(`${dir}/absent.png`, { readFile }),
      (e: unknown) => e instanceof ImageDecodeError && /absent\.png: no such file/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadImage() bounds image URLs: size limit, endless bodies and stalled servers", async () => {
  const bytes = await Deno.readFile(probePath);
  let release = (): void => {};
  const closing = new Promise<void>((r) => (release = r));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/stall") return closing.then(() => new Response("late"));
    if (path === "/endless") {
      return new Response(
        new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(65536)) }, { highWaterMark: 0 }),
      );
    }
    return new Response(bytes);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const t0 = performance.now();
    await assert.rejects(
      loadImage(`${base}/big.png`, { maxFileBytes: 100 }),
      (e: unknown) =>
        e instanceof ImageDecodeError &&
        /over the limit of 100 \(option maxFileBytes\)/.test(e.message),
    );
    await assert.rejects(
      loadImage(`${base}/endless`, { maxFileBytes: 1 << 20 }),
      (e: unknown) =>
        e instanceof ImageDecodeError && /passes the limit of 1048576 bytes/.test(e.message),
    );
    await assert.rejects(
      loadImage(`${base}/stall`, { fetchTimeoutMs: 200 }),
      (e: unknown) => e instanceof ImageDecodeError && /no response within 200 ms/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 3000);
    assert.equal((await loadImage(`${base}/ok.png`)).width, 61);
  } finally {
    release();
    await server.shutdown();
  }
});
