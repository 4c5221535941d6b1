/**
 * Joins a pretrained vision encoder and a pretrained text decoder into one VisionEncoderDecoder
 * model, as transformers v4.27's `VisionEncoderDecoderModel.from_encoder_decoder_pretrained`
 * does: the encoder is loaded as `AutoModel` (the family's base model), the decoder as
 * `AutoModelForCausalLM` with `is_decoder` and `add_cross_attention` switched on, and every
 * tensor the checkpoints lack (the decoder's cross-attention, `enc_to_dec_proj` when the hidden
 * sizes differ and the decoder has no cross_attention_hidden_size, a base model's pooler) is
 * drawn at random as a model built from the configs would be (init_weights.ts).
 *
 * Each source is either a standalone model folder (config.json of one family) or a
 * VisionEncoderDecoder folder, whose `encoder.*` (or `decoder.*`) half and nested config are
 * taken. Standalone checkpoint names are matched as `PreTrainedModel.from_pretrained` matches
 * them: with or without the family's `base_model_prefix` ("vit.", "beit.", "transformer.",
 * "bert.", "model.", ...), old `gamma`/`beta` names read as `weight`/`bias`; names the model does
 * not have are not used (and reported), mis-shaped ones are refused.
 *
 * Beyond Python: a half from which no tensor at all could be used is refused rather than
 * silently replaced by random weights; `enc_to_dec_proj` is reported with the other new weights
 * (Python creates it silently); buffers a checkpoint lacks (GPT2's causal masks, position ids)
 * are left out, as the graphs compute them.
 * @module
 */
import type { ModelConfig } from "../config/model_config.ts";
import { loadModelConfig } from "../config/load_model_config.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import type { WeightMap } from "../weights/weight_map.ts";
import {
  formatShape,
  fromFloat32,
  toFloat32,
  type WeightTensor,
} from "../weights/weight_tensor.ts";
import { familyOf } from "../families/index.ts";
import { visionEncoderDecoderWeightSpecs } from "../families/model_graphs.ts";
import { initSpecs } from "../families/init_weights.ts";
import { checkWeightSpecs, type WeightSpec } from "../families/shared/weight_specs.ts";

/** One pretrained checkpoint folder (Hub layout: config.json and weights). */
export interface PretrainedSource {
  /** The folder's files. */
  readonly files: ModelFiles;
}

/** Options of {@link joinPretrained}. */
export interface JoinPretrainedOptions {
  /** Seed of the weights drawn at random (non-negative safe integer). */
  seed: number;
}

/** The joined model. */
export interface JoinedPretrained {
  /** Both configs, the decoder's with is_decoder and add_cross_attention true. */
  config: VisionEncoderDecoderConfig;
  /** Every tensor of the model (VisionEncoderDecoder names); loaded ones are the sources' own. */
  weights: WeightMap;
  /** Names of the tensors drawn at random, in the model's order. */
  newWeights: string[];
  /** What Python would log about the join (new and unused weights), or null when nothing. */
  warning: string | null;
}

type Role = "encoder" | "decoder";

const TRAIN_HINT =
  "You should probably TRAIN this model on a down-stream task to be able to use it for " +
  "predictions and inference.";

/**
 * Joins a pretrained encoder and a pretrained decoder into one VisionEncoderDecoder model.
 * @param encoder the vision encoder's folder (standalone, or a VisionEncoderDecoder folder)
 * @param decoder the text decoder's folder (standalone, or a VisionEncoderDecoder folder)
 * @param options `seed` of the weights drawn at random
 * @returns the joined config and weights, the names drawn at random and Python's warning text
 * @throws UnsupportedModelError when a source is not a supported encoder / decoder family;
 *   ModelLoadError when the decoder's cross_attention_hidden_size differs from the encoder's
 *   hidden size, a tensor has the wrong shape, a checkpoint is corrupted or has no usable tensor
 */
export async function joinPretrained(
  encoder: PretrainedSource,
  decoder: PretrainedSource,
  options: JoinPretrainedOptions,
): Promise<JoinedPretrained> {
  const notes: string[] = [];
  const enc = await readHalfConfig(encoder.files, "encoder", notes);
  const dec = await readHalfConfig(decoder.files, "decoder", notes);
  const cross = dec.config.crossAttentionHiddenSize;
  if (cross !== null && cross !== enc.config.hiddenSize) {
    throw new ModelLoadError(
      `Cannot join encoder ${encoder.files.id} (${enc.config.modelType}, hidden size ` +
        `${enc.config.hiddenSize}) with decoder ${decoder.files.id} (${dec.config.modelType}): the ` +
        `decoder's cross_attention_hidden_size is ${cross}, and it must equal the encoder's hidden ` +
        `size (transformers' VisionEncoderDecoderModel refuses it too)`,
    );
  }
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(enc.config, dec.config, {
    tie_word_embeddings: false,
  });
  const specs = visionEncoderDecoderWeightSpecs(config);
  const held: WeightMap = new Map();
  const newWeights: string[] = [];
  for (
    const [half, source, role] of [[enc, encoder, "encoder"], [dec, decoder, "decoder"]] as const
  ) {
    const halfSpecs = specs.filter((s) => s.name.startsWith(`${role}.`));
    const { tensors } = await loadCheckpoint(source.files);
    const got = mapHalf(role, half, source.files.id, tensors, halfSpecs);
    for (const [name, t] of got.held) held.set(name, t);
    newWeights.push(...got.missing);
    notes.push(...got.notes);
  }
  const proj = specs.filter((s) => s.name.startsWith("enc_to_dec_proj.")).map((s) => s.name);
  if (proj.length > 0) {
    newWeights.push(...proj);
    notes.push(
      `Some weights of VisionEncoderDecoderModel were not initialized from the model ` +
        `checkpoints at ${encoder.files.id} and ${decoder.files.id} and are newly initialized: ` +
        `${pyList(proj)}\n${TRAIN_HINT}`,
    );
  }
  const fresh = initSpecs(specs, { seed: options.seed, only: new Set(newWeights) });
  const weights: WeightMap = new Map();
  for (const s of specs) {
    const t = held.get(s.name) ?? fresh.get(s.name);
    if (t) weights.set(s.name, t);
  }
  checkWeightSpecs(specs, weights, `the join of ${encoder.files.id} and ${decoder.files.id}`);
  return { config, weights, newWeights, warning: notes.length ? notes.join("\n") : null };
}

interface HalfConfig {
  /** The part's config, adjusted as Python adjusts it. */
  config: ModelConfig;
  /** Whether the source is a VisionEncoderDecoder folder. */
  composite: boolean;
}

async function readHalfConfig(files: ModelFiles, role: Role, notes: string[]): Promise<HalfConfig> {
  const loaded = await loadModelConfig(files);
  if (loaded instanceof VisionEncoderDecoderConfig) {
    return { config: loaded[role], composite: true };
  }
  if (loaded.role !== role) {
    throw new UnsupportedModelError(
      `Cannot use ${files.id} as the ${role} of a VisionEncoderDecoder model: its model_type ` +
        `"${loaded.modelType}" is a ${
          loaded.role === "encoder" ? "vision encoder" : "text decoder"
        }`,
    );
  }
  let config = loaded.with({ _name_or_path: files.id });
  const id = files.id;
  if (role === "encoder" && (config.isDecoder || config.addCrossAttention)) {
    notes.push(
      `Initializing ${id} as a encoder model from a decoder model. Cross-attention and casual ` +
        "mask are disabled.",
    );
    config = config.with({ is_decoder: false, add_cross_attention: false });
  }
  if (role === "decoder" && (!config.isDecoder || !config.addCrossAttention)) {
    notes.push(
      `Initializing ${id} as a decoder model. Cross attention layers are added to ${id} and ` +
        `randomly initialized if ${id}'s architecture allows for cross attention layers.`,
    );
    config = config.with({ is_decoder: true, add_cross_attention: true });
  }
  return { config, composite: false };
}

/** Old TF-era names, as `_load_pretrained_model`'s `_fix_key` reads them. */
function fixKey(key: string): string {
  if (key.includes("beta")) return key.replaceAll("beta", "bias");
  if (key.includes("gamma")) return key.replaceAll("gamma", "weight");
  return key;
}

/**
 * Maps one half's checkpoint onto its specs: the tensors used (VisionEncoderDecoder names), the
 * specs left to initialise, and Python's messages about unused and new weights.
 */
function mapHalf(
  role: Role,
  half: HalfConfig,
  id: string,
  tensors: WeightMap,
  specs: readonly WeightSpec[],
): { held: WeightMap; missing: string[]; notes: string[] } {
  const outer = `${role}.`;
  const local = new Map(specs.map((s) => [s.name.slice(outer.length), s]));
  const family = familyOf(half.config.modelType, role, `Cannot join ${id} as the ${role}`);
  const className = family.modelClass;
  // Checkpoint key -> model-local name, and model-local name -> name as Python prints it.
  let toLocal: (key: string) => string | undefined;
  let display: (name: string) => string;
  const keys = [...tensors.keys()];
  if (half.composite) {
    toLocal = (k) => (k.startsWith(outer) ? k.slice(outer.length) : undefined);
    display = (n) => outer + n;
  } else {
    const p = `${family.basePrefix}.`;
    const has = keys.some((k) => fixKey(k).startsWith(p));
    const expects = [...local.keys()].some((n) => n.startsWith(p));
    if (expects && !has) {
      // A base-model checkpoint loaded into a model with a head: it must not carry head names.
      const heads = keys.filter((k) => local.has(fixKey(k)) && !fixKey(k).startsWith(p));
      if (heads.length > 0) {
        throw new ModelLoadError(
          `Cannot load ${id} as a ${className}: its tensors are named as the base model's ` +
            `(no "${p}" prefix) but include head tensors (${heads.join(", ")}); the checkpoint ` +
            "is corrupted (transformers refuses it too)",
        );
      }
      toLocal = (k) => p + fixKey(k);
      display = (n) => (n.startsWith(p) ? n.slice(p.length) : n);
    } else if (has && !expects) {
      toLocal = (k) => (fixKey(k).startsWith(p) ? fixKey(k).slice(p.length) : undefined);
      display = (n) => p + n;
    } else {
      toLocal = fixKey;
      display = (n) => n;
    }
  }
  const held: WeightMap = new Map();
  const unexpected: string[] = [];
  const misShaped: string[] = [];
  const ignore = half.composite ? [] : family.ignoreUnexpected ?? [];
  for (const [key, t] of tensors) {
    const name = toLocal(key);
    const spec = name === undefined ? undefined : local.get(name);
    if (spec === undefined) {
      const other = half.composite && !key.startsWith(outer);
      if (!other && !ignore.some((re) => re.test(key))) unexpected.push(key);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      misShaped.push(
        `${key}: found ${formatShape(t.shape)} in the checkpoint, the model needs ` +
          formatShape(spec.shape),
      );
      continue;
    }
    held.set(spec.name, asSpecDtype(t, spec));
  }
  if (misShaped.length > 0) {
    throw new ModelLoadError(
      `Cannot load ${id} as the ${role} (${className}): ${misShaped.length} tensor(s) have the ` +
        `wrong shape:\n  ${misShaped.join("\n  ")}`,
    );
  }
  if (held.size === 0) {
    throw new ModelLoadError(
      `Cannot load ${id} as the ${role} (${className}): none of its ${tensors.size} tensors is a ` +
        `${className} weight (expected names like ${display(specs[0].name.slice(outer.length))})`,
    );
  }
  shareTies(specs, held);
  const missing = specs.filter((s) => !held.has(s.name) && !s.optional).map((s) => s.name);
  const notes: string[] = [];
  if (unexpected.length > 0) {
    notes.push(
      `Some weights of the model checkpoint at ${id} were not used when initializing ` +
        `${className}: ${pyList(unexpected)}\n` +
        `- This IS expected if you are initializing ${className} from the checkpoint of a model ` +
        "trained on another task or with another architecture (e.g. initializing a " +
        "BertForSequenceClassification model from a BertForPreTraining model).\n" +
        `- This IS NOT expected if you are initializing ${className} from the checkpoint of a ` +
        "model that you expect to be exactly identical (initializing a " +
        "BertForSequenceClassification model from a BertForSequenceClassification model).",
    );
  }
  if (missing.length > 0) {
    const shown = missing.map((n) => display(n.slice(outer.length)));
    notes.push(
      `Some weights of ${className} were not initialized from the model checkpoint at ${id} ` +
        `and are newly initialized: ${pyList(shown)}\n${TRAIN_HINT}`,
    );
  }
  return { held, missing, notes };
}

/**
 * Gives every name of a tie group the same tensor when the checkpoint held any of them (the last
 * held in model order, as loading a state dict into shared Parameters leaves it).
 */
function shareTies(specs: readonly WeightSpec[], held: WeightMap): void {
  const groups = new Map<string, string[]>();
  for (const s of specs) {
    const root = s.tiedTo ?? s.name;
    groups.set(root, [...(groups.get(root) ?? []), s.name]);
  }
  for (const names of groups.values()) {
    if (names.length < 2) continue;
    const present = names.filter((n) => held.has(n));
    if (present.length === 0) continue;
    const t = held.get(present[present.length - 1])!;
    for (const n of names) held.set(n, t);
  }
}

/** Parameters load into float32 models: other float dtypes are converted, as torch copies them. */
function asSpecDtype(t: WeightTensor, spec: WeightSpec): WeightTensor {
  if (spec.dtype !== "F32" || t.dtype === "F32") return t;
  if (t.dtype === "F16" || t.dtype === "BF16" || t.dtype === "F64") {
    return fromFloat32(toFloat32(t), t.shape);
  }
  return t;
}

/** A list of names as Python prints a list of str. */
function pyList(names: readonly string[]): string {
  return `[${names.map((n) => `'${n}'`).join(", ")}]`;
}
