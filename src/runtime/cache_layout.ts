/**
 * The geometry and names of a decoder graph's self-attention cache, read from its inputs.
 * Naming (src/families/family.ts `CacheNaming`):
 * - seq2seq (BART, MBart, TrOCR, BERT-style): `past_key_values.{i}.decoder|encoder.key|value` in,
 *   `present.{i}.decoder|encoder.key|value` out;
 * - GPT2: `past_key_values.{i}.key|value` in, `present.{i}.key|value` out.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { CacheNaming } from "../families/family.ts";
import type { GraphSession } from "./graph_session.ts";

/** Cache geometry read from the graph. */
export interface CacheLayout {
  /** How the graph names its cache. */
  naming: CacheNaming;
  /** Decoder layers (one key and one value each). */
  layers: number;
  /** Attention heads. */
  heads: number;
  /** Size of one head. */
  headDim: number;
}

/**
 * Reads the cache layout from a with-past graph's inputs.
 * @param session the with-past (or merged, or step) decoder
 * @returns naming, layers, heads and head size
 */
export function readCacheLayout(session: GraphSession): CacheLayout {
  const inputs = session.inputs();
  const seq = inputs.filter((i) => /^past_key_values\.\d+\.decoder\.key$/.test(i.name));
  const gpt = inputs.filter((i) => /^past_key_values\.\d+\.key$/.test(i.name));
  const self = seq.length ? seq : gpt;
  if (!self.length) {
    throw new ModelLoadError(
      `Cannot use ${session.name} as a decoder with cache: it has no past_key_values.{i}.key or past_key_values.{i}.decoder.key input (inputs: ${
        inputs.map((i) => i.name).join(", ")
      })`,
    );
  }
  const [, heads, , headDim] = self[0].shape;
  if (typeof heads !== "number" || typeof headDim !== "number") {
    throw new ModelLoadError(
      `Cannot use ${session.name}: ${self[0].name} has symbolic heads/head size ${
        JSON.stringify(self[0].shape)
      }`,
    );
  }
  return { naming: seq.length ? "seq2seq" : "gpt2", layers: self.length, heads, headDim };
}

/**
 * Self-attention cache names of a layout, key then value per layer.
 * @param layout the cache layout
 * @param kind inputs ("past_key_values") or outputs ("present")
 * @returns the names in feed order
 */
export function pastNames(layout: CacheLayout, kind: "past_key_values" | "present"): string[] {
  const names: string[] = [];
  const mid = layout.naming === "seq2seq" ? ".decoder" : "";
  for (let i = 0; i < layout.layers; i++) {
    names.push(`${kind}.${i}${mid}.key`, `${kind}.${i}${mid}.value`);
  }
  return names;
}

/**
 * Cross-attention cache names of a seq2seq layout, key then value per layer.
 * @param layout the cache layout
 * @param kind inputs ("past_key_values") or outputs ("present")
 * @returns the names in feed order
 */
export function crossNames(layout: CacheLayout, kind: "past_key_values" | "present"): string[] {
  const names: string[] = [];
  for (let i = 0; i < layout.layers; i++) {
    names.push(`${kind}.${i}.encoder.key`, `${kind}.${i}.encoder.value`);
  }
  return names;
}
