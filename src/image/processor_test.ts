// References: the oracle's goldens (tests/fixtures/goldens/<model>.json `pixel_values`, made by
// transformers v4.27 + Pillow 9.4.0) and tests/fixtures/image/processor_cases.json, made by
// tests/fixtures/image/make_processor_fixtures.py: a numpy 1.24 + Pillow 9.4.0 re-implementation
// of the v4.27 ViT/DeiT/BEiT/Donut processors for settings the fixture models do not use.
import assert from "node:assert/strict";
import { prepareImage, preprocess, preprocessBatch } from "./processor.ts";
import { decodeImage } from "./decode.ts";
import { parseImageProcessorConfig } from "../config/image_processor_config.ts";
import { UnsupportedModelError } from "../errors.ts";
import type { RgbImage } from "./rgb_image.ts";
import { golden, maxAbsDiff } from "../../tests/support/goldens.ts";

const FIX = new URL("../../tests/fixtures/", import.meta.url);
const readJson = async (p: string): Promise<Record<string, never>> =>
  JSON.parse(await Deno.readTextFile(new URL(p, FIX)));
const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const image = async (name: string): Promise<RgbImage> =>
  await decodeImage(await Deno.readFile(new URL(`images/${name}`, FIX)));

for (const model of ["vit-gpt2", "trocr"]) {
  Deno.test(`preprocess() reproduces the ${model} golden pixel_values within 1e-6`, async () => {
    const config = parseImageProcessorConfig(
      await readJson(`models/${model}/preprocessor_config.json`),
    );
    for (const name of ["probe.png", "probe2.png", "probe.jpg"]) {
      const want = (await golden(model)).pixel_values[name];
      const pv = preprocess(await image(name), config);
      assert.deepEqual(pv.dims, want.dims);
      // Goldens are shortest round-trip decimals of float32 values: compare as float32.
      const d = maxAbsDiff(pv.data, Float32Array.from(want.data));
      assert.ok(d <= 1e-6, `${model} ${name}: max difference ${d}`);
      if (d !== 0) console.log(`${model} ${name}: max difference ${d}`);
    }
  });
}

Deno.test("preprocess() matches v4.27 DeiT/BEiT/ViT/Donut settings computed with numpy + PIL", async () => {
  const doc = await readJson("image/processor_cases.json") as unknown as {
    configs: Record<string, Record<string, unknown>>;
    images: Record<string, { width: number; height: number; rgb: string }>;
    cases: { config: string; image: string; dims: number[]; data: string }[];
  };
  const images: Record<string, RgbImage> = {
    "probe.png": await image("probe.png"),
    "probe2.png": await image("probe2.png"),
  };
  for (const [k, v] of Object.entries(doc.images)) {
    images[k] = { width: v.width, height: v.height, data: fromB64(v.rgb) };
  }
  assert.ok(doc.cases.length >= 30);
  for (const c of doc.cases) {
    const config = parseImageProcessorConfig(doc.configs[c.config]);
    const pv = preprocess(images[c.image], config);
    const label = `${c.config} on ${c.image}`;
    assert.deepEqual(pv.dims, c.dims, label);
    const want = new Float32Array(fromB64(c.data).buffer);
    const d = maxAbsDiff(pv.data, want);
    assert.ok(d <= 1e-6, `${label}: max difference ${d}`);
    if (d !== 0) console.log(`${label}: max difference ${d}`);
  }
});

Deno.test("preprocessBatch() stacks images and refuses ones that end up different sizes", async () => {
  const config = parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor", size: 8 });
  const a = await image("probe.png"), b = await image("probe2.png");
  const batch = preprocessBatch([a, b], config);
  assert.deepEqual(batch.dims, [2, 3, 8, 8]);
  assert.deepEqual(batch.data.subarray(192), preprocess(b, config).data);
  const noResize = parseImageProcessorConfig({
    image_processor_type: "ViTImageProcessor",
    do_resize: false,
  });
  assert.throws(() => preprocessBatch([a, b], noResize), /cannot be stacked/);
});

Deno.test("preprocess() refuses what it cannot reproduce instead of guessing", async () => {
  const probe = await image("probe.png");
  const donut = parseImageProcessorConfig({
    image_processor_type: "DonutImageProcessor",
    size: { height: 40, width: 30 },
  });
  assert.throws(() => preprocess(probe, donut, { randomPadding: true }), UnsupportedModelError);
  const noThumb = parseImageProcessorConfig({
    image_processor_type: "DonutImageProcessor",
    size: { height: 40, width: 30 },
    do_thumbnail: false,
  });
  assert.throws(() => preprocess(probe, noThumb), /negative padding/);
  const shortest = parseImageProcessorConfig({
    image_processor_type: "ViTImageProcessor",
    size: { shortest_edge: 20 },
  });
  assert.throws(() => preprocess(probe, shortest), UnsupportedModelError);
  const uint8Normalise = parseImageProcessorConfig({
    image_processor_type: "ViTImageProcessor",
    do_rescale: false,
  });
  assert.throws(() => preprocess(probe, uint8Normalise), UnsupportedModelError);
  const vit = parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor", size: 8 });
  // one row: v4.27 fails in normalize (1 channel, 3 means); three rows: see tiny_cases below
  const oneRow = { width: 5, height: 1, data: new Uint8Array(15) };
  assert.throws(() => preprocess(oneRow, vit), /5x1 image.*channels-first.*at least 2 rows/);
  const donutThreeRows = parseImageProcessorConfig({
    image_processor_type: "DonutImageProcessor",
    size: { height: 40, width: 30 },
  });
  const threeRows = { width: 5, height: 3, data: new Uint8Array(45) };
  assert.throws(() => preprocess(threeRows, donutThreeRows), /channels-first/);
});

// tests/fixtures/image/tiny_cases.json: images 3 pixels tall through v4.27's resize (and DeiT's
// center crop) as its source does it, written by make_tiny_fixtures.py with Pillow 9.4.0.
Deno.test("prepareImage() follows v4.27 on images 3 pixels tall (read as channels-first)", async () => {
  const doc = JSON.parse(
    await Deno.readTextFile(new URL("../../tests/fixtures/image/tiny_cases.json", import.meta.url)),
  );
  for (const c of doc.cases) {
    const config = parseImageProcessorConfig({
      image_processor_type: c.crop ? "DeiTImageProcessor" : "ViTImageProcessor",
      size: { height: c.size[0], width: c.size[1] },
      resample: c.resample,
      do_center_crop: c.crop !== null,
      ...(c.crop ? { crop_size: { height: c.crop[0], width: c.crop[1] } } : {}),
    });
    const input = { width: c.width, height: 3, data: fromB64(c.input) };
    const out = prepareImage(input, config);
    const label = `${c.name} on ${c.width}x3`;
    assert.equal(`${out.width}x${out.height}`, `${c.out_width}x${c.out_height}`, label);
    assert.deepEqual(out.data, fromB64(c.output), label);
    assert.deepEqual(preprocess(input, config).dims, [1, 3, c.out_height, c.out_width]);
  }
});
