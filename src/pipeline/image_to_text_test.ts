import assert from "node:assert/strict";
import { AbortError } from "../errors.ts";
import { ImageError, pipeline } from "./image_to_text.ts";

const MODEL = new URL("../../tests/fixtures/models/vit-gpt2", import.meta.url).pathname;
const IMAGES = new URL("../../tests/fixtures/images/", import.meta.url).pathname;
const OPTIONS = { max_new_tokens: 6 };

/** A raw RGB image 61 pixels wide and `height` tall (1 is refused: v4.27 cannot take it). */
function strip(height: number) {
  return {
    data: new Uint8Array(61 * height * 3).fill(120),
    width: 61,
    height,
    channels: 3 as const,
  };
}

Deno.test("pipeline: a bad image in an array fails alone, named; the others equal their solo captions", async () => {
  const captioner = await pipeline("image-to-text", MODEL, { device: "wasm" });
  try {
    const good = `${IMAGES}probe.png`, good2 = `${IMAGES}probe2.png`;
    const solo = [
      await captioner(good, OPTIONS),
      await captioner(good2, OPTIONS),
      await captioner(strip(3), OPTIONS),
    ];
    const missing = `${IMAGES}no_such_image.png`;
    const out = await captioner(
      [good, strip(1), new Uint8Array([1, 2, 3, 4]), missing, good2, strip(3)],
      OPTIONS,
    );
    assert.deepEqual(out[0], solo[0]);
    assert.deepEqual(out[4], solo[1]);
    assert.deepEqual(out[5], solo[2]);
    const errors = [out[1], out[2], out[3]];
    for (const e of errors) assert.ok(e instanceof ImageError, `got ${JSON.stringify(e)}`);
    const [thin, bytes, absent] = errors as ImageError[];
    assert.deepEqual([thin.index, bytes.index, absent.index], [1, 2, 3]);
    assert.match(thin.message, /^image 1: Cannot preprocess a 61x1 image/);
    assert.equal(bytes.image, "image 2");
    assert.equal(bytes.code, "IMAGE_DECODE");
    assert.equal(absent.image, missing);
    assert.ok(absent.message.startsWith(`${missing}: `), absent.message);
    for (const e of errors) assert.ok(!(e as Error).message.includes("\n"), "one line");
  } finally {
    await captioner.dispose();
  }
});

Deno.test("pipeline: caption() gives an error for an image it cannot preprocess and captions the rest", async () => {
  const captioner = await pipeline("image-to-text", MODEL, { device: "wasm" });
  try {
    const good = await captioner.load(`${IMAGES}probe.png`);
    const thin = { width: 61, height: 1, data: new Uint8Array(61 * 3).fill(9) };
    const [alone] = await captioner.caption([good], OPTIONS);
    const [a, b] = await captioner.caption([good, thin], OPTIONS);
    assert.deepEqual(a, alone);
    assert.equal(a.error, undefined);
    assert.deepEqual(b.sequences, []);
    assert.ok(b.error instanceof ImageError);
    assert.equal(b.error.index, 1);
    // load() refuses it already, under the caller's name for it (the CLI's one line per image)
    await assert.rejects(
      () => captioner.load({ ...thin, channels: 3 }),
      /Cannot preprocess a 61x1 image/,
    );
    // one image: the call rejects with the image's own error
    await assert.rejects(() => captioner(strip(1), OPTIONS), RangeError);
  } finally {
    await captioner.dispose();
  }
});

Deno.test("pipeline: an aborted call rejects with AbortError, not an error per image", async () => {
  const captioner = await pipeline("image-to-text", MODEL, { device: "wasm" });
  try {
    const images = [`${IMAGES}probe.png`, `${IMAGES}probe2.png`];
    await assert.rejects(
      () => captioner(images, { ...OPTIONS, signal: AbortSignal.abort() }),
      (e: Error) => e instanceof AbortError && e.name === "AbortError",
    );
    const ac = new AbortController();
    const pending = captioner(images, {
      max_new_tokens: 60,
      min_new_tokens: 60,
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 5);
    await assert.rejects(pending, (e: Error) => e.name === "AbortError");
  } finally {
    await captioner.dispose();
  }
});
