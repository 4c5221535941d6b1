/**
 * Checkpoint tensor specifications: for each model family, the full list of tensors a
 * VisionEncoderDecoder checkpoint holds for it (Hugging Face names with their `encoder.` /
 * `decoder.` prefixes), their shapes and dtypes, which are tied to another tensor, which are
 * buffers a checkpoint may or may not carry, and how transformers v4.27's `_init_weights` (or, where
 * it does not touch a tensor, the module's constructor) initialises each one for a random model.
 *
 * Each family descriptor has `weightSpecs(fields, options)`; `model_graphs.ts` joins an encoder's
 * and a decoder's specs (plus `enc_to_dec_proj.*`) into one model's list. `checkWeightSpecs`
 * compares a checkpoint with a list and reports every missing, unexpected and mis-shaped tensor in
 * one ModelLoadError.
 *
 * Not listed: tensors that are not in a PyTorch `state_dict` at all (TrOCR's sinusoidal position
 * table when use_learned_position_embeddings is false, BERT/RoBERTa's non-persistent
 * `token_type_ids` buffer, Swin's attention masks): they are computed, never loaded.
 * @module
 */

import { ModelLoadError } from "../../errors.ts";
import { formatShape, type WeightTensor } from "../../weights/weight_tensor.ts";

/**
 * How a tensor is initialised for a random model (transformers v4.27):
 * - `normal`: `tensor.normal_(mean=0, std)`.
 * - `trunc_normal`: `nn.init.trunc_normal_(tensor, mean=0, std, a, b)`; `a`/`b` are ABSOLUTE
 *   bounds (torch's defaults -2 and 2), not multiples of std.
 * - `uniform`: `U(-bound, bound)` (torch's default nn.Linear init: kaiming_uniform_(a=sqrt(5)) gives
 *   bound = 1/sqrt(fan_in) for the weight, and the bias uses the same bound).
 * - `zeros`, `ones`, `constant` (BEiT's layer scale: layer_scale_init_value).
 * - `embedding`: `normal_(0, std)` then row `paddingIdx` zeroed (nn.Embedding with padding_idx).
 * - `buffer`: computed, not random (relative position indices, position ids, GPT2's causal mask);
 *   `compute()` returns the row-major values in the spec's dtype.
 */
export type WeightInit =
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "trunc_normal"; readonly std: number; readonly a: number; readonly b: number }
  | { readonly kind: "uniform"; readonly bound: number }
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" }
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "embedding"; readonly std: number; readonly paddingIdx: number | null }
  | {
    readonly kind: "buffer";
    readonly compute: () => Float32Array | BigInt64Array | Uint8Array;
  };

/** Element types of spec'd tensors (safetensors spelling). */
export type SpecDtype = "F32" | "I64" | "BOOL";

/** One checkpoint tensor a family expects. */
export interface WeightSpec {
  /** Full name as in a VisionEncoderDecoder checkpoint, e.g. `decoder.bert.embeddings.LayerNorm.weight`. */
  readonly name: string;
  /** Dimensions ([] for a scalar). */
  readonly shape: readonly number[];
  /** Element type (F32 unless a buffer says otherwise). */
  readonly dtype: SpecDtype;
  /** Random initialisation (for a tied tensor: that of the tensor it is tied to). */
  readonly init: WeightInit;
  /**
   * Set when this tensor is the same Parameter as another (GPT2's `lm_head.weight` and `wte`):
   * checkpoints may hold it (pytorch_model.bin) or omit it (safetensors drops shared storage),
   * and it must equal its target when held.
   */
  readonly tiedTo?: string;
  /** Buffers a checkpoint may or may not carry (Python recomputes them when absent). */
  readonly optional?: boolean;
}

/** Options every family's `weightSpecs` takes. */
export interface WeightSpecOptions {
  /** Name prefix: "encoder." / "decoder." inside a VisionEncoderDecoder checkpoint (default). */
  prefix?: string;
}

/** Checkpoint dtypes a float parameter may be stored in. */
const FLOAT_DTYPES: ReadonlySet<string> = new Set(["F32", "F16", "BF16", "F64"]);

/** How many problems one checkWeightSpecs message lists before counting the rest. */
const LISTED_PROBLEMS = 20;

/** torch.nn.init.trunc_normal_'s default absolute bounds. */
const TRUNC_A = -2;
const TRUNC_B = 2;

/**
 * `normal_(0, std)`.
 * @param std standard deviation
 * @returns the init
 */
export function normalInit(std: number): WeightInit {
  return { kind: "normal", std };
}

/**
 * `nn.init.trunc_normal_(mean=0, std)` with torch's default bounds [-2, 2].
 * @param std standard deviation
 * @returns the init
 */
export function truncNormalInit(std: number): WeightInit {
  return { kind: "trunc_normal", std, a: TRUNC_A, b: TRUNC_B };
}

/** Zeros. */
export const ZEROS: WeightInit = { kind: "zeros" };
/** Ones. */
export const ONES: WeightInit = { kind: "ones" };

/**
 * A float32 parameter spec.
 * @param name full name
 * @param shape dimensions
 * @param init initialisation
 * @returns the spec
 */
export function param(name: string, shape: readonly number[], init: WeightInit): WeightSpec {
  return { name, shape, dtype: "F32", init };
}

/**
 * The specs of an nn.Linear (or Conv2d) `stem.weight` [out, in(, kh, kw)] and, when `bias`,
 * `stem.bias` [out] (zeros, as every family's _init_weights does).
 * @param stem module name, e.g. `decoder.bert.encoder.layer.0.attention.self.query`
 * @param weightShape the weight's shape, output features first
 * @param init the weight's init
 * @param bias whether the module has a bias
 * @returns the specs
 */
export function linearSpecs(
  stem: string,
  weightShape: readonly number[],
  init: WeightInit,
  bias = true,
): WeightSpec[] {
  const out = [param(`${stem}.weight`, weightShape, init)];
  if (bias) out.push(param(`${stem}.bias`, [weightShape[0]], ZEROS));
  return out;
}

/**
 * The specs of an nn.LayerNorm: `stem.weight` ones, `stem.bias` zeros.
 * @param stem module name
 * @param width normalised size
 * @returns the two specs
 */
export function layerNormSpecs(stem: string, width: number): WeightSpec[] {
  return [param(`${stem}.weight`, [width], ONES), param(`${stem}.bias`, [width], ZEROS)];
}

/**
 * An optional int64 buffer spec.
 * @param name full name
 * @param shape dimensions
 * @param compute its values
 * @returns the spec
 */
export function int64Buffer(
  name: string,
  shape: readonly number[],
  compute: () => BigInt64Array,
): WeightSpec {
  return { name, shape, dtype: "I64", init: { kind: "buffer", compute }, optional: true };
}

/**
 * BERT/RoBERTa's `embeddings.position_ids` buffer: arange(max_positions) as [1, max_positions]
 * (persistent in v4.27, so v4.27 checkpoints carry it).
 * @param name full name
 * @param maxPositions max_position_embeddings
 * @returns the optional buffer spec
 */
export function positionIdsBuffer(name: string, maxPositions: number): WeightSpec {
  return int64Buffer(
    name,
    [1, maxPositions],
    () => BigInt64Array.from({ length: maxPositions }, (_, i) => BigInt(i)),
  );
}

/**
 * Marks a spec as tied to another tensor (same Parameter).
 * @param spec the tensor's own spec (name and shape)
 * @param target the tensor it shares storage with
 * @returns the tied spec
 */
export function tied(spec: WeightSpec, target: WeightSpec): WeightSpec {
  return { ...spec, init: target.init, tiedTo: target.name };
}

/**
 * Compares a checkpoint with a spec list: every non-optional tensor must be present (for tied
 * tensors, any one name of the tie group); present tensors must have the spec'd shape; names no
 * spec lists are unexpected; a parameter (not a buffer) spec'd F32 must be stored as a float.
 * @param specs what the model expects
 * @param map the checkpoint's tensors
 * @returns one line per problem (empty when the checkpoint fits)
 */
export function specProblems(
  specs: readonly WeightSpec[],
  map: ReadonlyMap<string, WeightTensor>,
): string[] {
  // A tie group (a Parameter and every name tied to it) is satisfied by any one of its names:
  // safetensors keeps one name of shared storage, not always the same one.
  const group = (s: WeightSpec): string => s.tiedTo ?? s.name;
  const held = new Set(specs.filter((s) => map.has(s.name)).map(group));
  const known = new Set<string>();
  const missing: string[] = [];
  const misShaped: string[] = [];
  for (const s of specs) {
    known.add(s.name);
    const t = map.get(s.name);
    if (!t) {
      if (!s.optional && !held.has(group(s))) {
        missing.push(`missing: ${s.name} ${formatShape(s.shape)}`);
        held.add(group(s)); // one line per group
      }
      continue;
    }
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      misShaped.push(
        `${s.name}: expected ${formatShape(s.shape)}, found ${formatShape(t.shape)}`,
      );
    } else if (s.init.kind !== "buffer" && s.dtype === "F32" && !FLOAT_DTYPES.has(t.dtype)) {
      // a parameter stored as integers would be read as a float's bit pattern, or refused late
      misShaped.push(`${s.name}: expected a float tensor, found ${t.dtype}`);
    }
  }
  const unexpected = [...map.keys()].filter((n) => !known.has(n)).map((n) => `unexpected: ${n}`);
  return [...missing, ...unexpected, ...misShaped];
}

/**
 * Throws one ModelLoadError naming the missing, unexpected, mis-shaped and mis-typed tensors (the
 * first 20, then how many more).
 * @param specs what the model expects
 * @param map the checkpoint's tensors
 * @param source the checkpoint's name for the message
 */
export function checkWeightSpecs(
  specs: readonly WeightSpec[],
  map: ReadonlyMap<string, WeightTensor>,
  source = "checkpoint",
): void {
  const problems = specProblems(specs, map);
  if (problems.length === 0) return;
  const listed = problems.slice(0, LISTED_PROBLEMS);
  if (problems.length > LISTED_PROBLEMS) {
    listed.push(`... and ${problems.length - LISTED_PROBLEMS} more`);
  }
  throw new ModelLoadError(
    `Cannot use the weights of ${source}: ${problems.length} problem(s) against the model's ` +
      `expected tensors:\n  ${listed.join("\n  ")}`,
  );
}
