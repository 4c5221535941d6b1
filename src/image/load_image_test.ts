import assert from "node:assert/strict";
import { loadImage } from "./load_image.ts";
import { ImageDecodeError } from "../errors.ts";

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
