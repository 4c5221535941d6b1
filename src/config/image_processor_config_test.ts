// Expected values are the v4.27 processors' __init__ defaults and get_size_dict conversions
// (transformers/models/{vit,deit,beit,donut}/image_processing_*.py, image_processing_utils.py).
import assert from "node:assert/strict";
import { getSizeDict, parseImageProcessorConfig } from "./image_processor_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";

Deno.test("parseImageProcessorConfig() reads the fixture models' configs", async () => {
  for (const [model, resample] of [["vit-gpt2", 2], ["trocr", 3]] as const) {
    const json = JSON.parse(
      await Deno.readTextFile(
        new URL(`../../tests/fixtures/models/${model}/preprocessor_config.json`, import.meta.url),
      ),
    );
    const c = parseImageProcessorConfig(json);
    assert.equal(c.image_processor_type, "ViTImageProcessor");
    assert.deepEqual(c.size, { height: 32, width: 32 });
    assert.equal(c.resample, resample);
    assert.equal(c.rescale_factor, 1 / 255);
    assert.deepEqual(c.image_mean, [0.5, 0.5, 0.5]);
    assert.equal(c.do_center_crop, false);
  }
});

Deno.test("parseImageProcessorConfig() fills each class's Python defaults", () => {
  const vit = parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor" });
  assert.deepEqual([vit.size, vit.resample, vit.do_rescale], [
    { height: 224, width: 224 },
    2,
    true,
  ]);
  const deit = parseImageProcessorConfig({ image_processor_type: "DeiTImageProcessor" });
  assert.deepEqual(deit.size, { height: 256, width: 256 });
  assert.deepEqual(deit.crop_size, { height: 224, width: 224 });
  assert.deepEqual([deit.resample, deit.do_center_crop], [3, true]);
  assert.deepEqual(deit.image_mean, [0.485, 0.456, 0.406]);
  assert.deepEqual(deit.image_std, [0.229, 0.224, 0.225]);
  const beit = parseImageProcessorConfig({ image_processor_type: "BeitImageProcessor" });
  assert.deepEqual([beit.resample, beit.image_mean], [3, [0.5, 0.5, 0.5]]);
  const donut = parseImageProcessorConfig({ image_processor_type: "DonutImageProcessor" });
  assert.deepEqual(donut.size, { height: 2560, width: 1920 });
  assert.deepEqual(
    [donut.resample, donut.do_thumbnail, donut.do_align_long_axis, donut.do_pad],
    [2, true, false, true],
  );
});

Deno.test("parseImageProcessorConfig() maps legacy FeatureExtractor names and size forms", () => {
  const trocr = parseImageProcessorConfig({
    feature_extractor_type: "ViTFeatureExtractor",
    processor_class: "TrOCRProcessor",
    size: 384,
    resample: 2,
  });
  assert.equal(trocr.image_processor_type, "ViTImageProcessor");
  assert.deepEqual(trocr.size, { height: 384, width: 384 });
  assert.deepEqual(trocr.ignored_keys, []);
  // Donut's feature extractor stored [width, height].
  const donut = parseImageProcessorConfig({
    feature_extractor_type: "DonutFeatureExtractor",
    size: [1920, 2560],
  });
  assert.deepEqual(donut.size, { height: 2560, width: 1920 });
  const deit = parseImageProcessorConfig({
    feature_extractor_type: "DeiTFeatureExtractor",
    size: 256,
    crop_size: 224,
  });
  assert.deepEqual(deit.crop_size, { height: 224, width: 224 });
  // ViT ignores crop options, as the Python class does; they are listed, not applied.
  const vit = parseImageProcessorConfig({
    image_processor_type: "ViTImageProcessor",
    do_center_crop: true,
    crop_size: 10,
  });
  assert.equal(vit.do_center_crop, false);
  assert.deepEqual(vit.ignored_keys, ["do_center_crop", "crop_size"]);
});

Deno.test("getSizeDict() converts like transformers' get_size_dict", () => {
  assert.deepEqual(getSizeDict(7), { height: 7, width: 7 });
  assert.deepEqual(getSizeDict(7, { defaultToSquare: false }), { shortest_edge: 7 });
  assert.deepEqual(getSizeDict([3, 4]), { height: 3, width: 4 });
  assert.deepEqual(getSizeDict([3, 4], { heightWidthOrder: false }), { height: 4, width: 3 });
  assert.deepEqual(getSizeDict({ shortest_edge: 5 }), { shortest_edge: 5 });
  assert.deepEqual(getSizeDict({ longest_edge: 5 }), { longest_edge: 5 });
  assert.deepEqual(getSizeDict({ shortest_edge: 5, longest_edge: 9 }), {
    shortest_edge: 5,
    longest_edge: 9,
  });
  assert.throws(() => getSizeDict({ height: 5 }), ModelLoadError);
  assert.throws(() => getSizeDict("224"), ModelLoadError);
});

Deno.test("parseImageProcessorConfig() names unsupported processors and bad fields", () => {
  assert.throws(
    () => parseImageProcessorConfig({ image_processor_type: "CLIPImageProcessor" }),
    (e: unknown) => e instanceof UnsupportedModelError && /CLIPImageProcessor/.test(e.message),
  );
  assert.throws(() => parseImageProcessorConfig({}), UnsupportedModelError);
  assert.equal(
    parseImageProcessorConfig({}, { fallbackType: "DeiTImageProcessor" }).image_processor_type,
    "DeiTImageProcessor",
  );
  assert.throws(
    () => parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor", resample: 9 }),
    /resample must be 0 to 5/,
  );
  assert.throws(
    () =>
      parseImageProcessorConfig({ image_processor_type: "ViTImageProcessor", do_resize: "yes" }),
    /do_resize must be a bool/,
  );
});

Deno.test("image_mean/image_std need one value per RGB channel, std no zero; a class named constructor is unsupported", () => {
  const base = { image_processor_type: "ViTImageProcessor" };
  assert.throws(
    () => parseImageProcessorConfig({ ...base, image_mean: [0.5, 0.5] }),
    /image_mean must have 3 values \(one per RGB channel\), got \[0\.5,0\.5\]/,
  );
  assert.throws(
    () => parseImageProcessorConfig({ ...base, image_std: [0, 1, 1] }),
    /image_std must not hold 0 \(it divides\)/,
  );
  assert.deepEqual(parseImageProcessorConfig({ ...base, image_mean: [0.4] }).image_mean, [0.4]);
  assert.throws(
    () => parseImageProcessorConfig({ image_processor_type: "constructor" }),
    /Unsupported image processor "constructor"/,
  );
});
