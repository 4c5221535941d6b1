/**
 * `VisionEncoderDecoderConfig` (transformers v4.27): a vision encoder's config and a text
 * decoder's config nested in one config.json with model_type "vision-encoder-decoder", plus the
 * top-level ids (decoder_start_token_id, pad_token_id, ...) that loss and generation read.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { asRecord, readFields, setOwn } from "./config_fields.ts";
import { parseModelConfig } from "./config_registry.ts";
import { checkTokenId, type ModelConfig, TRANSFORMERS_VERSION } from "./model_config.ts";
import { PRETRAINED_FIELDS, type PretrainedConfigFields } from "./pretrained_config.ts";

/** `model_type` of the composite config. */
export const VISION_ENCODER_DECODER_TYPE = "vision-encoder-decoder";

/** An encoder config and a decoder config joined, with the composite's own fields. */
export class VisionEncoderDecoderConfig {
  /** The vision encoder's config. */
  readonly encoder: ModelConfig;
  /** The text decoder's config. */
  readonly decoder: ModelConfig;
  /** The composite's own PretrainedConfig fields (is_encoder_decoder is true). */
  readonly fields: Readonly<PretrainedConfigFields>;

  /**
   * Joins parsed configs as they are; use `fromDict` or `fromEncoderDecoderConfigs`.
   * @param encoder the encoder config (role "encoder")
   * @param decoder the decoder config (role "decoder")
   * @param topLevel the composite's own fields (validated, defaults applied)
   * @param where label for messages
   */
  constructor(
    encoder: ModelConfig,
    decoder: ModelConfig,
    topLevel: Readonly<Record<string, unknown>> = {},
    where = "vision-encoder-decoder config",
  ) {
    if (encoder.role !== "encoder" || decoder.role !== "decoder") {
      throw new TypeError(
        `Cannot join ${encoder.modelType} + ${decoder.modelType}: need a vision encoder and a text ` +
          "decoder, in that order",
      );
    }
    const given: Record<string, unknown> = { ...topLevel };
    for (const k of ["encoder", "decoder", "model_type", "_commit_hash"]) delete given[k];
    const fields = readFields(PRETRAINED_FIELDS, given, where);
    fields.is_encoder_decoder = true;
    fields.model_type = VISION_ENCODER_DECODER_TYPE;
    const cross = decoder.crossAttentionHiddenSize;
    if (cross !== null && cross !== encoder.hiddenSize) {
      // Python's VisionEncoderDecoderModel raises the same ValueError.
      throw new ModelLoadError(
        `Cannot read ${where}: decoder.cross_attention_hidden_size is ${cross} but the encoder's ` +
          `hidden size is ${encoder.hiddenSize}; they must be equal`,
      );
    }
    if (decoder.vocabSize !== null) {
      for (const name of ["decoder_start_token_id", "pad_token_id"] as const) {
        checkTokenId(fields[name] as number | null, name, decoder.vocabSize, where);
      }
    }
    this.encoder = encoder;
    this.decoder = decoder;
    this.fields = fields as PretrainedConfigFields;
  }

  /**
   * Parses a config.json dict of model_type "vision-encoder-decoder".
   * @param dict the parsed config.json
   * @param where label for messages, e.g. "config.json of ./model"
   * @returns the config
   */
  static fromDict(
    dict: Readonly<Record<string, unknown>>,
    where = "config.json",
  ): VisionEncoderDecoderConfig {
    if (dict.model_type !== undefined && dict.model_type !== VISION_ENCODER_DECODER_TYPE) {
      throw new ModelLoadError(
        `Cannot read ${where} as a VisionEncoderDecoderConfig: model_type is ` +
          `${JSON.stringify(dict.model_type)}, not "${VISION_ENCODER_DECODER_TYPE}"`,
      );
    }
    if (dict.encoder === undefined || dict.decoder === undefined) {
      throw new ModelLoadError(
        `Cannot read ${where}: a vision-encoder-decoder config needs both "encoder" and "decoder"`,
      );
    }
    const encoder = parseModelConfig(asRecord(dict.encoder, `${where} encoder`), {
      role: "encoder",
      where: `${where} encoder`,
    });
    const decoder = parseModelConfig(asRecord(dict.decoder, `${where} decoder`), {
      role: "decoder",
      where: `${where} decoder`,
    });
    return new VisionEncoderDecoderConfig(encoder, decoder, dict, where);
  }

  /**
   * Python's `from_encoder_decoder_configs`: joins two configs, setting the decoder's
   * is_decoder and add_cross_attention to true.
   * @param encoder a vision encoder config
   * @param decoder a text decoder config
   * @param topLevel optional composite fields (decoder_start_token_id, pad_token_id, ...)
   * @returns the joined config
   */
  static fromEncoderDecoderConfigs(
    encoder: ModelConfig,
    decoder: ModelConfig,
    topLevel: Readonly<Record<string, unknown>> = {},
  ): VisionEncoderDecoderConfig {
    const dec = decoder.with({ is_decoder: true, add_cross_attention: true });
    return new VisionEncoderDecoderConfig(encoder, dec, topLevel);
  }

  /** Always "vision-encoder-decoder". */
  get modelType(): string {
    return VISION_ENCODER_DECODER_TYPE;
  }
  /** Top-level `decoder_start_token_id` (what loss's shift and generation start with), or null. */
  get decoderStartTokenId(): number | null {
    return this.fields.decoder_start_token_id;
  }
  /** Top-level `pad_token_id`, or null. */
  get padTokenId(): number | null {
    return this.fields.pad_token_id;
  }
  /** Top-level `bos_token_id`, or null. */
  get bosTokenId(): number | null {
    return this.fields.bos_token_id;
  }
  /** Top-level `eos_token_id` as a list (empty when unset). */
  get eosTokenIds(): number[] {
    const e = this.fields.eos_token_id;
    return e === null ? [] : typeof e === "number" ? [e] : [...e];
  }
  /**
   * Whether the model has `enc_to_dec_proj` (Python: encoder and decoder hidden sizes differ and
   * the decoder has no cross_attention_hidden_size).
   */
  get hasEncToDecProj(): boolean {
    return this.encoder.hiddenSize !== this.decoder.hiddenSize &&
      this.decoder.crossAttentionHiddenSize === null;
  }

  /**
   * The config.json Python's `save_pretrained` writes: the top-level fields that differ from
   * PretrainedConfig's defaults, model_type, and the nested encoder and decoder dicts in full.
   * `VisionEncoderDecoderConfig.from_pretrained` reads it back.
   * @returns a JSON-ready object, keys sorted
   */
  toJSON(): Record<string, unknown> {
    const all: Record<string, unknown> = {
      transformers_version: TRANSFORMERS_VERSION,
      ...structuredClone(this.fields),
      encoder: this.encoder.toJSON(),
      decoder: this.decoder.toJSON(),
    };
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(all).sort()) {
      const spec = Object.hasOwn(PRETRAINED_FIELDS, k) ? PRETRAINED_FIELDS[k] : undefined;
      const isDefault = spec !== undefined && JSON.stringify(spec[1]) === JSON.stringify(all[k]);
      if (!isDefault || k === "is_encoder_decoder") setOwn(out, k, all[k]);
    }
    return out;
  }
}
