import assert from "node:assert/strict";
import { f16BitsToNumber } from "./float16.ts";
import { fromFloat32, toFloat32, type WeightTensor } from "./weight_tensor.ts";

const FIXTURES = new URL("../../tests/fixtures/weights/", import.meta.url);

function bitsOf(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

Deno.test("toFloat32() widens every one of the 65536 float16 patterns exactly (V8's Float16Array as reference)", () => {
  const all = new Uint16Array(65536).map((_, i) => i);
  const t: WeightTensor = { dtype: "F16", shape: [65536], data: new Uint8Array(all.buffer) };
  const ours = toFloat32(t);
  const ref = new Float32Array(new Float16Array(all.buffer));
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(ref[h])) {
      assert.ok(Number.isNaN(ours[h]), `0x${h.toString(16)}`);
      assert.equal(bitsOf(ours)[h] >>> 31, h >>> 15, `NaN sign of 0x${h.toString(16)}`);
    } else {
      assert.ok(Object.is(ours[h], ref[h]), `0x${h.toString(16)}: ${ours[h]} vs ${ref[h]}`);
    }
  }
  assert.equal(f16BitsToNumber(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(f16BitsToNumber(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(f16BitsToNumber(0x7bff), 65504);
});

Deno.test("fromFloat32() to F16 rounds to nearest even exactly as numpy / torch.half() do", async () => {
  const ref = JSON.parse(await Deno.readTextFile(new URL("f16_round_numpy.json", FIXTURES)));
  const x = new Float32Array(new Uint32Array(ref.f32_bits).buffer);
  const got = new Uint16Array(fromFloat32(x, [x.length], "F16").data.buffer);
  assert.ok(x.length > 1000);
  for (let i = 0; i < x.length; i++) {
    assert.equal(got[i], ref.f16_bits[i], `f32 ${x[i]} (0x${ref.f32_bits[i].toString(16)})`);
  }
  // And against V8's own float32 -> float16 conversion over a wide random sweep of bit patterns.
  const sweep = new Uint32Array(200_000).map((_, i) => (Math.imul(i, 2654435761) >>> 0));
  const xs = new Float32Array(sweep.buffer);
  const mine = new Uint16Array(fromFloat32(xs, [xs.length], "F16").data.buffer);
  const v8 = new Uint16Array(new Float16Array(xs).buffer);
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) assert.equal(mine[i] & 0x7fff, 0x7e00);
    else assert.equal(mine[i], v8[i], `0x${sweep[i].toString(16)}`);
  }
});

Deno.test("fromFloat32() to BF16 rounds to nearest even and keeps inf, NaN sign, subnormals", () => {
  const bits = new Uint32Array([
    0x3f800000, // 1
    0x3f808000, // 1 + 2^-8: a tie, rounds down to the even 0x3f80
    0x3f818000, // 1 + 3 * 2^-8: a tie, rounds up to the even 0x3f82
    0x3f808001, // just above the tie: up
    0x7f7fffff, // FLT_MAX rounds to inf, as torch does
    0xff800000, // -inf
    0xffc00001, // -NaN: quiet, sign kept
    0x00010000, // a float32 subnormal exact in bf16
    0x00008000, // half of it: tie to even (0)
  ]);
  const t = fromFloat32(new Float32Array(bits.buffer), [bits.length], "BF16");
  assert.deepEqual(
    [...new Uint16Array(t.data.buffer)],
    [0x3f80, 0x3f80, 0x3f82, 0x3f81, 0x7f80, 0xff80, 0xffc0, 0x0001, 0x0000],
  );
  assert.deepEqual([...bitsOf(toFloat32(t))].map((b) => b >>> 16), [
    ...new Uint16Array(t.data.buffer),
  ]);
});

Deno.test("toFloat32() reads integer, bool and F64 tensors from little-endian bytes", () => {
  const i64 = new BigInt64Array([-5n, 1n << 40n]);
  assert.deepEqual(
    [...toFloat32({ dtype: "I64", shape: [2], data: new Uint8Array(i64.buffer) })],
    [-5, 2 ** 40],
  );
  assert.deepEqual(
    [...toFloat32({ dtype: "BOOL", shape: [3], data: new Uint8Array([0, 1, 2]) })],
    [0, 1, 1],
  );
  assert.deepEqual(
    [...toFloat32({ dtype: "I8", shape: [2], data: new Uint8Array([0xff, 0x7f]) })],
    [-1, 127],
  );
  const f64 = new Float64Array([0.1, -2]);
  assert.deepEqual(
    [...toFloat32({ dtype: "F64", shape: [2], data: new Uint8Array(f64.buffer) })],
    [Math.fround(0.1), -2],
  );
  // An F32 view at an odd byte offset (as inside a zip) converts too.
  const odd = new Uint8Array(9);
  new DataView(odd.buffer).setFloat32(1, 1.5, true);
  new DataView(odd.buffer).setFloat32(5, -3, true);
  assert.deepEqual([...toFloat32({ dtype: "F32", shape: [2], data: odd.subarray(1) })], [1.5, -3]);
});

Deno.test("toFloat32() and fromFloat32() refuse sizes that do not match the shape", () => {
  assert.throws(
    () => toFloat32({ dtype: "F32", shape: [2, 2], data: new Uint8Array(12) }),
    /needs 16 bytes, has 12/,
  );
  assert.throws(() => fromFloat32(new Float32Array(3), [2, 2]), RangeError);
});
