// Reference: tests/fixtures/image/resize_cases.json, made by Debian's python3-pil 9.4.0 (the
// oracle's Pillow) with tests/fixtures/image/make_resize_fixtures.py.
import assert from "node:assert/strict";
import { type ResampleFilter, resize } from "./resize.ts";
import { reduce } from "./reduce.ts";
import type { RgbImage } from "./rgb_image.ts";

interface Case {
  src: string;
  width: number;
  height: number;
  resample: ResampleFilter;
  box: [number, number, number, number] | null;
  reducing_gap: number | null;
  out: string;
}
interface ReduceCase {
  src: string;
  factor: [number, number];
  box: [number, number, number, number] | null;
  width: number;
  height: number;
  out: string;
}
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../../tests/fixtures/image/resize_cases.json", import.meta.url)),
) as {
  sources: Record<string, { width: number; height: number; rgb: string }>;
  resize: Case[];
  reduce: ReduceCase[];
};
const fromB64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const sources: Record<string, RgbImage> = {};
for (const [k, v] of Object.entries(fixture.sources)) {
  sources[k] = { width: v.width, height: v.height, data: fromB64(v.rgb) };
}
const NAMES = ["NEAREST", "LANCZOS", "BILINEAR", "BICUBIC", "BOX", "HAMMING"];

function diff(a: Uint8Array, b: Uint8Array): { count: number; max: number } {
  let count = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

for (const filter of [0, 1, 2, 3, 4, 5] as ResampleFilter[]) {
  Deno.test(`resize() matches PIL 9.4 byte for byte with ${NAMES[filter]}`, () => {
    const cases = fixture.resize.filter((c) => c.resample === filter);
    assert.ok(cases.length > 30);
    for (const c of cases) {
      const out = resize(sources[c.src], c.width, c.height, {
        resample: c.resample,
        box: c.box ?? undefined,
        reducingGap: c.reducing_gap,
      });
      const want = fromB64(c.out);
      const label = `${c.src} -> ${c.width}x${c.height} box=${c.box} gap=${c.reducing_gap}`;
      assert.equal(out.width, c.width, label);
      assert.equal(out.height, c.height, label);
      const d = diff(out.data, want);
      assert.equal(d.count, 0, `${label}: ${d.count} bytes differ, max ${d.max}`);
    }
  });
}

Deno.test("reduce() matches PIL's Image.reduce for square, uneven and boxed factors", () => {
  for (const c of fixture.reduce) {
    const out = reduce(sources[c.src], c.factor[0], c.factor[1], c.box ?? undefined);
    assert.equal(out.width, c.width);
    assert.equal(out.height, c.height);
    const d = diff(out.data, fromB64(c.out));
    assert.equal(d.count, 0, `factor ${c.factor} box ${c.box}: ${d.count} differ, max ${d.max}`);
  }
});

Deno.test("resize() refuses bad sizes, filters and boxes", () => {
  const img = sources.noise;
  assert.throws(() => resize(img, 0, 3), RangeError);
  assert.throws(() => resize(img, 3, 2.5), RangeError);
  assert.throws(() => resize(img, 3, 3, { resample: 7 as ResampleFilter }), RangeError);
  assert.throws(() => resize(img, 3, 3, { box: [0, 0, 18, 11] }), RangeError);
  assert.throws(() => resize(img, 3, 3, { reducingGap: 0.5 }), RangeError);
});
