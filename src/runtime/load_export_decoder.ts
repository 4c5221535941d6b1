/**
 * Loads an export's decoder in the form that computes cross-attention K/V once per image:
 * seq2seq-style exports as they are (their first run returns the encoder K/V, kept per image),
 * GPT2-style exports split into a loop-invariant graph and a step graph.
 * @module
 */
import { UnsupportedModelError } from "../errors.ts";
import type { ModelFiles } from "../hub/model_files.ts";
import type { Backend } from "./backend.ts";
import { readCacheLayout } from "./cache_layout.ts";
import type { Decoder } from "./decoder.ts";
import { ExportDecoder } from "./export_decoder.ts";
import { GraphSession } from "./graph_session.ts";
import { InvariantDecoder } from "./invariant_decoder.ts";
import type { DecoderFiles } from "./onnx_files.ts";
import { liftIfBranch } from "../graph/lift_if_branch.ts";
import { decodeModel } from "../graph/onnx_io.ts";

/** Options of {@link loadExportDecoder}. */
export interface LoadExportDecoderOptions {
  /** The decoder's position limit. */
  maxPositions: number;
  /** Split GPT2-style graphs so cross-attention K/V are computed once per image. */
  crossAttentionOnce: boolean;
}

/**
 * Loads the decoder files of an export.
 * @param files the model's files
 * @param decoder which decoder files the export has
 * @param backend the backend
 * @param options position limit and whether to split
 * @returns the decoder
 */
export async function loadExportDecoder(
  files: ModelFiles,
  decoder: DecoderFiles,
  backend: Backend,
  options: LoadExportDecoderOptions,
): Promise<Decoder> {
  const label = (path: string): string => `${path} from ${files.id}`;
  const load = async (path: string): Promise<GraphSession> =>
    GraphSession.create(backend, await files.read(path), label(path), { outputsOnGpu: true });
  const withPastPath = decoder.kind === "merged" ? decoder.merged : decoder.withPast;
  const withPastBytes = await files.read(withPastPath);
  const withPast = await GraphSession.create(backend, withPastBytes, label(withPastPath), {
    outputsOnGpu: true,
  });
  if (options.crossAttentionOnce && readCacheLayout(withPast).naming === "gpt2") {
    try {
      const split = await InvariantDecoder.load(
        backend,
        withPastBytes,
        label(withPastPath),
        decoder.kind === "merged",
        options.maxPositions,
      );
      await withPast.release();
      return split;
    } catch (e) {
      // A graph whose step reshapes the cross-attention tensors with the row count cannot share
      // them across beams: run it as shipped (correct, K/V recomputed per step).
      if (!(e instanceof UnsupportedModelError)) throw e;
    }
  }
  const first = decoder.kind === "merged" ? withPast : await load(decoder.first);
  const readsEnc = decoder.kind === "merged"
    ? withPastBranchReads(withPastBytes, label(withPastPath), "encoder_hidden_states")
    : undefined;
  return new ExportDecoder(first, withPast, options.maxPositions, readsEnc);
}

/**
 * Whether the with-past branch of a merged decoder reads a graph input (the merged graph lists
 * every input either branch reads).
 * @param bytes the merged decoder
 * @param name file and source, for messages
 * @param input the input's name
 * @returns true when it does, or when the branch cannot be lifted (the safe answer)
 */
function withPastBranchReads(bytes: Uint8Array, name: string, input: string): boolean {
  try {
    const branch = liftIfBranch(decodeModel(bytes, name), true);
    return (branch.graph?.input ?? []).some((i) => i.name === input);
  } catch (e) {
    if (e instanceof UnsupportedModelError) return true;
    throw e;
  }
}
