/**
 * What one model family declares, once: its config (model_type, role, Python config class, field
 * table with defaults and constraints, attribute_map, derived fields, normalised view), the
 * Python model class and `base_model_prefix` that joining and saving use, the cache naming of its
 * ONNX exports, its checkpoint tensors, and its graph builders (an encoder graph; or the
 * cross-attention K/V projections and the decoder step graph). Each family file exports one such
 * descriptor and src/families/index.ts lists them all; nothing else keys a table by model_type.
 * @module
 */
import type { ConfigFamily } from "../config/model_config.ts";
import type { PretrainedConfigFields } from "../config/pretrained_config.ts";
import type { GraphBuilder } from "../graph/builder.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import type { CrossKvProjector } from "./shared/cross_kv.ts";
import type { WeightSpec, WeightSpecOptions } from "./shared/weight_specs.ts";

/** A checkpoint's tensors by Hugging Face name. */
export type Weights = ReadonlyMap<string, WeightTensor>;

/** Options of the graph builders. */
export interface GraphOptions {
  /** Prefix of the part's weights in the checkpoint (default "encoder." / "decoder."). */
  prefix?: string;
  /** Checkpoint description for error messages. */
  source?: string;
}

/** How a decoder's ONNX export names its cache (see src/export/optimum_decoder.ts). */
export type CacheNaming = "seq2seq" | "gpt2";

/** What every family declares beyond its config. */
interface FamilyCommon<F extends PretrainedConfigFields> extends ConfigFamily<F> {
  /** The Python model class a standalone checkpoint of this role is loaded as (for messages). */
  readonly modelClass: string;
  /** The class's `base_model_prefix` (checkpoint names may carry it or not). */
  readonly basePrefix: string;
  /** `_keys_to_ignore_on_load_unexpected` of that class (names never reported as unused). */
  readonly ignoreUnexpected?: readonly RegExp[];
  /**
   * @param fields the part's config fields (Hugging Face names, defaults applied)
   * @param options name prefix ("encoder." / "decoder.")
   * @returns the tensors a checkpoint holds for this part, in the module's state_dict order
   */
  weightSpecs(fields: F, options?: WeightSpecOptions): WeightSpec[];
}

/** A vision encoder family. */
export interface EncoderFamily<F extends PretrainedConfigFields = PretrainedConfigFields>
  extends FamilyCommon<F> {
  /** Always "encoder". */
  readonly role: "encoder";
  /**
   * @param fields the encoder's config fields
   * @param weights the checkpoint's tensors
   * @param options weight prefix ("encoder.") and source label
   * @returns the `encoder_model` graph
   */
  encoder(fields: F, weights: Weights, options?: GraphOptions): GraphBuilder;
}

/** A text decoder family. */
export interface DecoderFamily<F extends PretrainedConfigFields = PretrainedConfigFields>
  extends FamilyCommon<F> {
  /** Always "decoder". */
  readonly role: "decoder";
  /** Cache naming of its Optimum / transformers.js exports. */
  readonly cacheNaming: CacheNaming;
  /**
   * @param fields the decoder's config fields
   * @param options weight prefix ("decoder.")
   * @returns the cross-attention K/V projections for buildCrossKv
   */
  crossKv(fields: F, options?: GraphOptions): CrossKvProjector;
  /**
   * @param fields the decoder's config fields
   * @param weights the checkpoint's tensors
   * @param options weight prefix and source label
   * @returns the `decoder_step` graph
   */
  decoderStep(fields: F, weights: Weights, options?: GraphOptions): GraphBuilder;
}

/** Any family. */
export type Family = EncoderFamily | DecoderFamily;
