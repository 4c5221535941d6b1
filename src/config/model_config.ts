/**
 * One model family's config (ViT, GPT2, TrOCR, ...): the Hugging Face fields with Python's
 * defaults, the class's `attribute_map` aliases, and the normalised view (hidden size, heads,
 * layers, ...) that model builders and the runtime read instead of each family's own names.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { fieldProblem, type FieldTable, readFields, setOwn } from "./config_fields.ts";
import type { PretrainedConfigFields } from "./pretrained_config.ts";

/** Version written into config.json when the source did not carry one. */
export const TRANSFORMERS_VERSION = "4.27.0";

/** The family-independent view of a config, as the graph builders and runtime need it. */
export interface NormalisedConfig {
  /** Width of the hidden states this part outputs (Swin: after the last stage). */
  readonly hiddenSize: number;
  /** Attention heads (decoders: decoder_attention_heads; Swin: heads of the last stage). */
  readonly numHeads: number;
  /** Transformer layers (decoders: decoder_layers; Swin: number of stages). */
  readonly numLayers: number;
  /** hiddenSize / numHeads. */
  readonly headDim: number;
  /** Feed-forward width (Swin: of the last stage). */
  readonly intermediateSize: number;
  /** LayerNorm epsilon (BART/MBart/TrOCR: torch's default 1e-5). */
  readonly layerNormEps: number;
  /** Activation name as Python's ACT2FN spells it ("gelu", "gelu_new", "relu", ...). */
  readonly activation: string;
  /** Std of the normal used for random initialisation (initializer_range or init_std). */
  readonly initializerRange: number;
  /** Text vocabulary size (decoders), null for vision encoders. */
  readonly vocabSize: number | null;
  /** Longest sequence of learned/sinusoidal positions (decoders), null for vision encoders. */
  readonly maxPositions: number | null;
  /** [height, width] of the input image (encoders), null for decoders. */
  readonly imageSize: readonly [number, number] | null;
  /** [height, width] of one patch (encoders), null for decoders. */
  readonly patchSize: readonly [number, number] | null;
  /** Input channels (encoders), null for decoders. */
  readonly numChannels: number | null;
}

/** Everything a family file declares about its Python config class. */
export interface ConfigFamily<F extends PretrainedConfigFields = PretrainedConfigFields> {
  /** `model_type` as written in config.json. */
  readonly modelType: string;
  /** Which side of a VisionEncoderDecoder it can be. */
  readonly role: "encoder" | "decoder";
  /** The Python class it mirrors, for messages and docs. */
  readonly pythonClass: string;
  /** Fields, kinds and Python defaults (PretrainedConfig's included). */
  readonly fields: FieldTable;
  /** The class's `attribute_map`: alias -> real field (GPT2: hidden_size -> n_embd). */
  readonly attributeMap: Readonly<Record<string, string>>;
  /** Fields Python's `__init__` computes from others (Swin's hidden_size); mutates `fields`. */
  derive?(fields: Record<string, unknown>, given: Readonly<Record<string, unknown>>): void;
  /** The normalised view of validated fields (headDim is computed by ModelConfig). */
  normalise(fields: F): Omit<NormalisedConfig, "headDim">;
}

/**
 * Turns an int-or-pair field (image_size, patch_size) into [height, width].
 * @param v an integer or a pair
 * @returns the pair
 */
export function toPair(v: number | readonly number[]): readonly [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/**
 * Checks what one field's table entry cannot: a patch no larger than the image, and the token ids
 * a decoder config sets explicitly (decoder_start_token_id, pad_token_id: the ids fed to the
 * embedding, where onnxruntime's Gather would wrap a negative or too large id) inside the
 * vocabulary.
 */
function checkCrossFields(
  n: Omit<NormalisedConfig, "headDim">,
  fields: Readonly<PretrainedConfigFields>,
  given: Readonly<Record<string, unknown>>,
  where: string,
): void {
  if (n.imageSize !== null && n.patchSize !== null) {
    if (n.patchSize[0] > n.imageSize[0] || n.patchSize[1] > n.imageSize[1]) {
      throw new ModelLoadError(
        `Cannot read ${where}: patch_size ${JSON.stringify(n.patchSize)} is larger than ` +
          `image_size ${JSON.stringify(n.imageSize)}`,
      );
    }
  }
  if (n.vocabSize !== null) {
    for (const name of ["decoder_start_token_id", "pad_token_id"] as const) {
      const id = fields[name];
      if (Object.hasOwn(given, name)) checkTokenId(id, name, n.vocabSize, where);
    }
  }
}

/**
 * Refuses a token id outside [0, vocab_size).
 * @param id the id (null: unset, accepted)
 * @param name the field's name
 * @param vocabSize the decoder's vocabulary size
 * @param where label for the message
 */
export function checkTokenId(
  id: number | null,
  name: string,
  vocabSize: number,
  where: string,
): void {
  if (id !== null && (id < 0 || id >= vocabSize)) {
    throw new ModelLoadError(
      `Cannot read ${where}: field "${name}" is ${id}, outside the decoder's vocabulary ` +
        `[0, ${vocabSize})`,
    );
  }
}

/** A parsed, validated config of one family; `fields` keep the Hugging Face names. */
export class ModelConfig<F extends PretrainedConfigFields = PretrainedConfigFields>
  implements NormalisedConfig {
  /** The family description this config follows. */
  readonly family: ConfigFamily<F>;
  /** `model_type`. */
  readonly modelType: string;
  /** All fields: Python defaults, then config.json's values (unknown extras kept). */
  readonly fields: Readonly<F>;
  readonly hiddenSize: number;
  readonly numHeads: number;
  readonly numLayers: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly layerNormEps: number;
  readonly activation: string;
  readonly initializerRange: number;
  readonly vocabSize: number | null;
  readonly maxPositions: number | null;
  readonly imageSize: readonly [number, number] | null;
  readonly patchSize: readonly [number, number] | null;
  readonly numChannels: number | null;

  /**
   * Validates a config dict against a family and applies Python's defaults and aliases.
   * @param family the family (e.g. GPT2_FAMILY)
   * @param dict the config.json object (its `model_type`, if any, must match the family)
   * @param where label for error messages (file and part)
   */
  constructor(
    family: ConfigFamily<F>,
    dict: Readonly<Record<string, unknown>> = {},
    where = `${family.modelType} config`,
  ) {
    const given: Record<string, unknown> = { ...dict };
    if (given.model_type !== undefined && given.model_type !== family.modelType) {
      throw new TypeError(
        `Cannot build a ${family.pythonClass} from ${where}: its model_type is ` +
          `${JSON.stringify(given.model_type)}, not "${family.modelType}"`,
      );
    }
    delete given.model_type;
    delete given._commit_hash;
    const fields = readFields(family.fields, given, where);
    for (const [alias, target] of Object.entries(family.attributeMap)) {
      if (!Object.hasOwn(given, alias)) continue;
      // Python's __setattr__ sends the alias to its target, after the class set its own fields.
      const spec = Object.hasOwn(family.fields, target) ? family.fields[target] : undefined;
      const problem = spec === undefined ? null : fieldProblem(spec, given[alias]);
      if (problem !== null) {
        throw new ModelLoadError(
          `Cannot read ${where}: field "${alias}" (alias of "${target}") must be ${problem}, ` +
            `found ${JSON.stringify(given[alias])}`,
        );
      }
      fields[target] = given[alias];
      delete fields[alias];
    }
    family.derive?.(fields, given);
    fields.model_type = family.modelType;
    this.family = family;
    this.modelType = family.modelType;
    this.fields = fields as F;
    const n = family.normalise(this.fields);
    if (n.numHeads <= 0 || n.hiddenSize % n.numHeads !== 0) {
      throw new ModelLoadError(
        `Cannot read ${where}: hidden size ${n.hiddenSize} is not a multiple of the number of ` +
          `attention heads ${n.numHeads}`,
      );
    }
    checkCrossFields(n, this.fields, given, where);
    this.hiddenSize = n.hiddenSize;
    this.numHeads = n.numHeads;
    this.numLayers = n.numLayers;
    this.headDim = n.hiddenSize / n.numHeads;
    this.intermediateSize = n.intermediateSize;
    this.layerNormEps = n.layerNormEps;
    this.activation = n.activation;
    this.initializerRange = n.initializerRange;
    this.vocabSize = n.vocabSize;
    this.maxPositions = n.maxPositions;
    this.imageSize = n.imageSize;
    this.patchSize = n.patchSize;
    this.numChannels = n.numChannels;
  }

  /** Which side of a VisionEncoderDecoder this family can be. */
  get role(): "encoder" | "decoder" {
    return this.family.role;
  }
  /** `is_decoder` (true for the decoder of a VisionEncoderDecoder). */
  get isDecoder(): boolean {
    return this.fields.is_decoder;
  }
  /** `add_cross_attention`. */
  get addCrossAttention(): boolean {
    return this.fields.add_cross_attention;
  }
  /** `tie_word_embeddings`: the LM head shares the token embedding matrix. */
  get tieWordEmbeddings(): boolean {
    return this.fields.tie_word_embeddings;
  }
  /** `cross_attention_hidden_size` (width of encoder states the cross-attention reads), or null. */
  get crossAttentionHiddenSize(): number | null {
    return this.fields.cross_attention_hidden_size;
  }
  /** `bos_token_id` or null. */
  get bosTokenId(): number | null {
    return this.fields.bos_token_id;
  }
  /** `eos_token_id` as a list (empty when unset). */
  get eosTokenIds(): number[] {
    const e: number | number[] | null = this.fields.eos_token_id;
    return e === null ? [] : typeof e === "number" ? [e] : [...e];
  }
  /** `pad_token_id` or null. */
  get padTokenId(): number | null {
    return this.fields.pad_token_id;
  }
  /** `decoder_start_token_id` or null. */
  get decoderStartTokenId(): number | null {
    return this.fields.decoder_start_token_id;
  }

  /**
   * Reads a field by its Hugging Face name or one of the class's `attribute_map` aliases.
   * @param name field name, e.g. "n_embd" or "hidden_size"
   * @returns the value, or undefined when the config has no such field
   */
  get(name: string): unknown {
    const map = this.family.attributeMap;
    const target = Object.hasOwn(map, name) ? map[name] : name;
    const fields = this.fields as Record<string, unknown>;
    return Object.hasOwn(fields, target) ? fields[target] : undefined;
  }

  /**
   * A copy with some fields changed (aliases allowed), validated again.
   * @param overrides fields to set, Hugging Face names
   * @returns the new config
   */
  with(overrides: Readonly<Record<string, unknown>>): ModelConfig<F> {
    return new ModelConfig(this.family, { ...this.toJSON(), ...overrides });
  }

  /**
   * The dict Python's `to_dict()` writes: every field, keys sorted, with model_type and
   * transformers_version.
   * @returns a JSON-ready object
   */
  toJSON(): Record<string, unknown> {
    const all: Record<string, unknown> = {
      transformers_version: TRANSFORMERS_VERSION,
      ...structuredClone(this.fields),
    };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(all).sort()) setOwn(out, k, all[k]);
    return out;
  }
}
