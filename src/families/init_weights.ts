/**
 * Random weights for a VisionEncoderDecoder model built from configs alone, as transformers
 * v4.27's `_init_weights` (and, for modules it leaves alone, torch's constructors) initialise
 * them. What each tensor gets is declared once, in the families' weight specs
 * (`visionEncoderDecoderWeightSpecs`, weight_specs.ts); this file only draws the numbers.
 *
 * - Seeding: every tensor has its own stream, seeded from (seed, tensor name), so a tensor's
 *   values do not depend on which other tensors exist. Joining two checkpoints therefore draws the
 *   same new cross-attention weights as a random model of the same config and seed.
 * - Generator: xoshiro128** (Blackman and Vigna) with its 128-bit state filled by splitmix32 from
 *   the seed's two 32-bit halves and two 32-bit hashes of the name.
 * - Normals: the polar form of Box-Muller (Marsaglia's method: two uniforms in [-1, 1), kept
 *   when inside the unit disc, give two independent normals without sine or cosine).
 * - trunc_normal_: by rejection (draw N(0, std), keep it when a <= x <= b; a and b are absolute
 *   bounds, as in torch). When the bounds keep less than a quarter of the mass (bounds within
 *   about 0.32 std of zero) rejection would be slow, and the inverse CDF is used instead, as
 *   torch itself does: x = std * Phi^-1(U(Phi(a/std), Phi(b/std))), clamped to [a, b].
 * - Values are float32, generated straight into one Float32Array per tensor; a tensor's bytes
 *   are a view of that array (no copy). Tied tensors are the same WeightTensor object.
 * @module
 */
import type { WeightMap } from "../weights/weight_map.ts";
import { formatShape, numel, type WeightTensor } from "../weights/weight_tensor.ts";
import { type ConfigPart, visionEncoderDecoderWeightSpecs } from "./model_graphs.ts";
import type { WeightInit, WeightSpec } from "./shared/weight_specs.ts";

/** Options of {@link initWeights}. */
export interface InitWeightsOptions {
  /** Non-negative safe integer; the same seed gives the same bytes on every platform. */
  seed: number;
}

/**
 * A random model's weights, initialised as Python's `VisionEncoderDecoderModel(config)` does.
 * @param config the encoder and decoder configs (a VisionEncoderDecoderConfig)
 * @param options `seed`
 * @returns every tensor of the model's spec list (buffers included); tied names share one tensor
 * @throws UnsupportedModelError for an encoder or decoder type without a family
 * @example
 * ```ts
 * import { parseModelConfig } from "../config/config_registry.ts";
 * import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
 * import { initWeights } from "./init_weights.ts";
 * const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
 *   parseModelConfig({ model_type: "vit", hidden_size: 32, num_hidden_layers: 1,
 *     num_attention_heads: 4, intermediate_size: 37, image_size: 32, patch_size: 16 }),
 *   parseModelConfig({ model_type: "gpt2", n_embd: 32, n_layer: 1, n_head: 4,
 *     n_positions: 16, vocab_size: 100 }),
 * );
 * const weights = initWeights(config, { seed: 0 });
 * console.assert(weights.get("decoder.lm_head.weight") === weights.get("decoder.transformer.wte.weight"));
 * ```
 */
export function initWeights(
  config: { readonly encoder: ConfigPart; readonly decoder: ConfigPart },
  options: InitWeightsOptions,
): WeightMap {
  return initSpecs(visionEncoderDecoderWeightSpecs(config), options);
}

/**
 * Initialises the tensors of a spec list (all, or those `only` names), ties included: a tied
 * spec gets its target's tensor object (initialising the target when `only` left it out).
 * @param specs the tensors to make
 * @param options `seed`; `only`: restrict to these names (e.g. weights a checkpoint lacked)
 * @returns name -> tensor, in spec order
 */
export function initSpecs(
  specs: readonly WeightSpec[],
  options: InitWeightsOptions & { only?: ReadonlySet<string> },
): WeightMap {
  checkSeed(options.seed);
  checkTotalSize(specs, options.only);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const made = new Map<string, WeightTensor>();
  const make = (s: WeightSpec): WeightTensor => {
    let t = made.get(s.name);
    if (t === undefined) {
      const target = s.tiedTo === undefined ? undefined : byName.get(s.tiedTo);
      t = target === undefined ? initTensor(s, options.seed) : make(target);
      made.set(s.name, t);
    }
    return t;
  };
  const out: WeightMap = new Map();
  for (const s of specs) {
    if (!options.only || options.only.has(s.name)) out.set(s.name, make(s));
  }
  return out;
}

/**
 * One tensor drawn from its spec's init, from the stream of (seed, spec.name).
 * @param spec name, shape, dtype and init
 * @param seed non-negative safe integer
 * @returns the tensor (F32 unless a buffer's spec says otherwise)
 * @throws RangeError for a bad seed, a non-finite std or bound, or a buffer of the wrong size
 */
export function initTensor(spec: WeightSpec, seed: number): WeightTensor {
  checkSeed(seed);
  const n = numel(spec.shape);
  const init = spec.init;
  if (init.kind === "buffer") return bufferTensor(spec, init.compute(), n);
  if (spec.dtype !== "F32") {
    throw new RangeError(`initTensor: ${spec.name} is ${spec.dtype}; only buffers may be non-F32`);
  }
  const values = new Float32Array(n);
  fill(values, init, spec, new Stream(seed, spec.name));
  return { dtype: "F32", shape: [...spec.shape], data: f32Bytes(values) };
}

/** The most bytes a random model may have: refused before anything is allocated. */
export const MAX_INIT_BYTES = 16 * 2 ** 30;

function checkTotalSize(specs: readonly WeightSpec[], only?: ReadonlySet<string>): void {
  let bytes = 0;
  for (const s of specs) {
    if (s.tiedTo !== undefined || (only && !only.has(s.name))) continue;
    bytes += numel(s.shape) * (s.dtype === "I64" ? 8 : s.dtype === "BOOL" ? 1 : 4);
  }
  if (bytes > MAX_INIT_BYTES) {
    throw new RangeError(
      `Cannot initialise ${specs.length} tensors of ${(bytes / 2 ** 30).toFixed(1)} GiB at ` +
        `random: more than the ${MAX_INIT_BYTES / 2 ** 30} GiB limit (check the config's sizes)`,
    );
  }
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  }
}

function fill(values: Float32Array, init: WeightInit, spec: WeightSpec, rng: Stream): void {
  const positive = (v: number, what: string): number => {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`initTensor: ${spec.name} has ${what} ${v}; need a finite value >= 0`);
    }
    return v;
  };
  switch (init.kind) {
    case "zeros":
      return;
    case "ones":
      values.fill(1);
      return;
    case "constant":
      values.fill(init.value);
      return;
    case "normal":
      rng.normals(values, positive(init.std, "std"));
      return;
    case "embedding": {
      rng.normals(values, positive(init.std, "std"));
      if (init.paddingIdx === null) return;
      const rows = spec.shape[0], width = values.length / rows;
      // nn.Embedding accepts a negative padding_idx, counted from the end.
      const row = init.paddingIdx < 0 ? init.paddingIdx + rows : init.paddingIdx;
      if (!Number.isInteger(row) || row < 0 || row >= rows) {
        throw new RangeError(
          `initTensor: ${spec.name} ${formatShape(spec.shape)} has padding_idx ` +
            `${init.paddingIdx}, outside its ${rows} rows`,
        );
      }
      values.fill(0, row * width, (row + 1) * width);
      return;
    }
    case "trunc_normal":
      if (!(init.a <= init.b)) {
        throw new RangeError(`initTensor: ${spec.name} has bounds a=${init.a} > b=${init.b}`);
      }
      rng.truncNormals(values, positive(init.std, "std"), init.a, init.b);
      return;
    case "uniform": {
      const bound = positive(init.bound, "bound");
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.uniform() - 1) * bound;
      return;
    }
  }
}

function bufferTensor(
  spec: WeightSpec,
  v: Float32Array | BigInt64Array | Uint8Array,
  n: number,
): WeightTensor {
  const kind = v instanceof Float32Array ? "F32" : v instanceof BigInt64Array ? "I64" : "BOOL";
  if (kind !== spec.dtype || v.length !== n) {
    throw new RangeError(
      `initTensor: buffer ${spec.name} computed ${v.length} ${kind} values, its spec says ` +
        `${spec.dtype} ${formatShape(spec.shape)}`,
    );
  }
  const data = v instanceof Float32Array
    ? f32Bytes(v)
    : v instanceof BigInt64Array
    ? i64Bytes(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return { dtype: spec.dtype, shape: [...spec.shape], data };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of float32 values: a view on little-endian hosts, a copy otherwise. */
function f32Bytes(v: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const out = new Uint8Array(v.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(4 * i, v[i], true);
  return out;
}

function i64Bytes(v: BigInt64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const out = new Uint8Array(v.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setBigInt64(8 * i, v[i], true);
  return out;
}

/** 32-bit FNV-1a of a string's UTF-16 code units, with a chosen offset basis. */
function hash32(s: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const INV_2_32 = 1 / 4294967296;
const INV_2_31 = 1 / 2147483648;
/** Below this kept mass, trunc_normal uses the inverse CDF instead of rejection. */
const REJECTION_MIN_MASS = 0.25;

/** One tensor's random stream: xoshiro128** and the samplers built on it. */
class Stream {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number, name: string) {
    const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
    this.#s0 = splitmix32(lo);
    this.#s1 = splitmix32(hi ^ 0x6a09e667);
    this.#s2 = splitmix32(hash32(name, 0x811c9dc5));
    this.#s3 = splitmix32(hash32(name, 0x3c6ef372) ^ 0xbb67ae85);
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
    for (let i = 0; i < 8; i++) this.next(); // spread the seed bits over the state
  }

  /** Next 32 random bits as an unsigned integer. */
  next(): number {
    const s1 = this.#s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return r;
  }

  /** Uniform in [0, 1) with 32 bits. */
  uniform(): number {
    return this.next() * INV_2_32;
  }

  /**
   * Fills `out` with N(0, std): the polar form of Box-Muller (Marsaglia), which needs no sine
   * or cosine (3x faster here); both normals of each accepted pair are used. The generator's
   * state lives in locals for the loop.
   */
  normals(out: Float32Array, std: number): void {
    let s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    const n = out.length;
    let i = 0;
    while (i < n) {
      let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      let t = s1 << 9;
      s2 ^= s0, s3 ^= s1, s1 ^= s2, s0 ^= s3, s2 ^= t, s3 = rotl(s3, 11);
      const u = r * INV_2_31; // a signed 32-bit draw: uniform in [-1, 1)
      r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      t = s1 << 9;
      s2 ^= s0, s3 ^= s1, s1 ^= s2, s0 ^= s3, s2 ^= t, s3 = rotl(s3, 11);
      const v = r * INV_2_31;
      const q = u * u + v * v;
      if (q >= 1 || q === 0) continue;
      const f = std * Math.sqrt(-2 * Math.log(q) / q);
      out[i++] = u * f;
      if (i < n) out[i++] = v * f;
    }
    this.#s0 = s0, this.#s1 = s1, this.#s2 = s2, this.#s3 = s3;
  }

  /** Fills `out` with N(0, std) truncated to [a, b] (absolute bounds). */
  truncNormals(out: Float32Array, std: number, a: number, b: number): void {
    if (std === 0) {
      out.fill(Math.min(Math.max(0, a), b));
      return;
    }
    // Far in the upper tail, work on the mirrored interval: CDF values near 0 keep their
    // precision, values near 1 do not.
    const flip = a > 0 ? -1 : 1;
    const lo = flip > 0 ? a : -b, hi = flip > 0 ? b : -a;
    const pa = normalCdf(lo / std), pb = normalCdf(hi / std);
    if (pb - pa < REJECTION_MIN_MASS) {
      for (let i = 0; i < out.length; i++) {
        const x = std * normalQuantile(pa + (pb - pa) * ((this.next() + 0.5) * INV_2_32));
        out[i] = flip * Math.min(Math.max(x, lo), hi);
      }
      return;
    }
    // Rejection, a block at a time: draw the missing values into the tail of `out`, then keep
    // those within bounds (tested on the stored float32 value) by compacting in place.
    let filled = 0;
    while (filled < out.length) {
      this.normals(out.subarray(filled), std);
      let j = filled;
      for (let k = filled; k < out.length; k++) {
        const x = out[k];
        if (x >= a && x <= b) out[j++] = x;
      }
      filled = j;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Standard normal CDF via erfc (W. J. Cody's rational fits' accuracy is not needed: 1e-7). */
function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** erfc(x), Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
                  t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
                                  t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}

/** Inverse standard normal CDF, P. J. Acklam's rational approximation (relative error 1.2e-9). */
function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269];
  const a4 = -30.66479806614716, a5 = 2.506628277459239;
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972];
  const b4 = -13.28068155288572;
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734];
  const c4 = 4.374664141464968, c5 = 2.938163982698783;
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c4) * q + c5) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a4) * r + a5) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b4) * r + 1);
}
