/**
 * Optimum's decoder files for a VisionEncoderDecoder model, composed from vedge's own `cross_kv`
 * and `decoder_step` graphs (graph_composer.ts), with the names, dtypes and ranks Optimum 1.13's
 * exports have and transformers.js 4.3.1 reads:
 *
 * - `decoder_model_merged.onnx`: inputs `input_ids` int64 [batch_size, decoder_sequence_length],
 *   `encoder_hidden_states` float32 [batch_size, encoder_sequence_length, enc_hidden], the past
 *   inputs, `use_cache_branch` bool [1]; one top-level `If` ("optimum::if") whose `else_branch`
 *   ("no_past") is the first step and whose `then_branch` ("with_past") is a cached step; outputs
 *   `logits` float32 [batch_size, decoder_sequence_length, vocab] and the presents. The weights
 *   are top-level initializers, stored once and read by both branches.
 * - `decoder_model.onnx` (the first step) and `decoder_with_past_model.onnx` (input_ids
 *   [batch_size, 1]): the two branches as models of their own.
 *
 * Cache naming, as transformers.js derives it from the decoder's config (its getKeyValueNames):
 * - "gpt2" (decoders whose normalised config has no num_decoder_layers, i.e. GPT2): past
 *   `past_key_values.{i}.key|value` [batch_size, heads, past_sequence_length, head_dim], presents
 *   `present.{i}.key|value`; cross-attention K/V are recomputed from `encoder_hidden_states` in
 *   every step (the with-past file takes `encoder_hidden_states` too).
 * - "seq2seq" (TrOCR, BART, MBart, BERT-style): past `past_key_values.{i}.decoder.key|value`
 *   [batch_size, heads, past_decoder_sequence_length, head_dim] and
 *   `past_key_values.{i}.encoder.key|value` [batch_size, heads, encoder_sequence_length_out,
 *   head_dim]; the first step returns `present.{i}.encoder.*` (computed from
 *   `encoder_hidden_states`), the cached step reads them back and returns only
 *   `present.{i}.decoder.*`; in the merged file its encoder outputs are [0, 1, 1, 1] placeholders
 *   (transformers.js and Optimum keep the first step's).
 * The batch axis must be named `batch_size`: transformers.js builds the empty past of the first
 * merged call from the input shapes, resolving only `batch_size` (other symbols become 0).
 * The no-past branch never reads the past inputs (Optimum feeds dummies of length 1 there).
 * @module
 */

import { type Dim, GraphBuilder, TensorAttr } from "../graph/builder.ts";
import { type OnnxModel, type OnnxNode, onnxProtos, type OnnxValueInfo } from "../graph/onnx_io.ts";
import type { CacheNaming } from "../families/family.ts";
import type { DecoderGraphSet } from "../families/model_graphs.ts";
import { GraphComposer, valueInfo } from "./graph_composer.ts";

/** How the export names its cache (see the module doc). */
export type OptimumCacheNaming = CacheNaming;

/** What the decoder files are built from. */
export interface OptimumDecoderParts {
  /** vedge's graphs (only `crossKv`, `decoderStep` and `geometry` are read). */
  graphs: Pick<DecoderGraphSet, "crossKv" | "decoderStep" | "geometry">;
  /** Width of `encoder_hidden_states`. */
  encoderHidden: number;
  /** Cache naming. */
  naming: OptimumCacheNaming;
}

/** Which decoder file. */
export type OptimumDecoderKind = "merged" | "no_past" | "with_past";

interface Names {
  pastDecoder: (i: number, kv: string) => string;
  presentDecoder: (i: number, kv: string) => string;
  pastDim: string;
}

const KV = ["key", "value"] as const;

function names(naming: OptimumCacheNaming): Names {
  const mid = naming === "seq2seq" ? ".decoder" : "";
  return {
    pastDecoder: (i, kv) => `past_key_values.${i}${mid}.${kv}`,
    presentDecoder: (i, kv) => `present.${i}${mid}.${kv}`,
    pastDim: naming === "seq2seq" ? "past_decoder_sequence_length" : "past_sequence_length",
  };
}

/** One decoder body: nodes over the model's inputs, and its outputs in Optimum's order. */
interface Body {
  nodes: OnnxNode[];
  outputs: OnnxValueInfo[];
}

/** The [batch_size, heads, 0, head_dim] empty cache the first step starts from. */
function emptyPastGraph(heads: number, headDim: number): GraphBuilder {
  const b = new GraphBuilder({ name: "empty_past" });
  const ids = b.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
  const shape = b.concat([b.dim(ids, 0), b.constI64([heads, 0, headDim])], 0);
  b.output("empty_past", b.constantOfShapeF32(shape, 0), "float32", [
    "batch_size",
    heads,
    0,
    headDim,
  ]);
  return b;
}

/** Constant [0, 1, 1, 1] placeholders for the encoder presents of a cached seq2seq step. */
function placeholderGraph(layers: number): GraphBuilder {
  const b = new GraphBuilder({ name: "placeholders" });
  const empty = new TensorAttr("float32", [0, 1, 1, 1], new Uint8Array(0));
  for (let i = 0; i < layers; i++) {
    for (const kv of KV) {
      b.output(`placeholder.${i}.${kv}`, b.op("Constant", [], { value: empty }), "float32", [
        0,
        1,
        1,
        1,
      ]);
    }
  }
  return b;
}

/**
 * Builds one decoder body into a composer.
 * @param c the composer of the model the body goes into
 * @param parts graphs, encoder width, naming
 * @param withPast the cached step (true) or the first step (false)
 * @param scope name prefix of the body's internal values
 * @param dims declared shapes of the outputs
 * @returns nodes and outputs
 */
function buildBody(
  c: GraphComposer,
  parts: OptimumDecoderParts,
  withPast: boolean,
  scope: string,
  dims: { logits: Dim[]; present: Dim[]; encoder: Dim[] },
): Body {
  const { layers, heads, headDim } = parts.graphs.geometry;
  const seq2seq = parts.naming === "seq2seq";
  const n = names(parts.naming);
  const nodes: OnnxNode[] = [];
  const stepInputs: Record<string, string> = { input_ids: "input_ids" };
  const outputs: OnnxValueInfo[] = [valueInfo("logits", "float32", dims.logits)];
  const stepOutputs: Record<string, string> = { logits: "logits" };
  let empty = "";
  if (!withPast) {
    const g = c.splice(emptyPastGraph(heads, headDim).toGraph(), {
      prefix: `${scope}empty_past/`,
      inputs: { input_ids: "input_ids" },
    });
    nodes.push(...g.nodes);
    empty = g.outputs.empty_past;
  }
  // Cross-attention K/V: computed here unless a cached seq2seq step reads them from the past.
  let cross: Record<string, string> = {};
  if (!(seq2seq && withPast)) {
    const crossOut: Record<string, string> = {};
    if (seq2seq) {
      for (let i = 0; i < layers; i++) {
        for (const kv of KV) crossOut[`present.${i}.encoder.${kv}`] = `present.${i}.encoder.${kv}`;
      }
    }
    const g = c.splice(parts.graphs.crossKv.toGraph(), {
      prefix: `${scope}cross_kv/`,
      inputs: { encoder_hidden_states: "encoder_hidden_states" },
      outputs: crossOut,
    });
    nodes.push(...g.nodes);
    cross = g.outputs;
  }
  for (let i = 0; i < layers; i++) {
    for (const kv of KV) {
      stepInputs[`past_key_values.${i}.decoder.${kv}`] = withPast ? n.pastDecoder(i, kv) : empty;
      stepInputs[`past_key_values.${i}.encoder.${kv}`] = seq2seq && withPast
        ? `past_key_values.${i}.encoder.${kv}`
        : cross[`present.${i}.encoder.${kv}`];
      stepOutputs[`present.${i}.decoder.${kv}`] = n.presentDecoder(i, kv);
    }
  }
  const step = c.splice(parts.graphs.decoderStep.toGraph(), {
    prefix: `${scope}step/`,
    inputs: stepInputs,
    outputs: stepOutputs,
  });
  nodes.push(...step.nodes);
  let placeholders: Record<string, string> = {};
  if (seq2seq && withPast && dims.encoder.length) {
    const rename: Record<string, string> = {};
    for (let i = 0; i < layers; i++) {
      for (const kv of KV) rename[`placeholder.${i}.${kv}`] = `present.${i}.encoder.${kv}`;
    }
    const g = c.splice(placeholderGraph(layers).toGraph(), {
      prefix: `${scope}placeholder/`,
      inputs: {},
      outputs: rename,
    });
    nodes.push(...g.nodes);
    placeholders = g.outputs;
  }
  for (let i = 0; i < layers; i++) {
    for (const kv of KV) outputs.push(valueInfo(n.presentDecoder(i, kv), "float32", dims.present));
    if (seq2seq && (!withPast || placeholders[`placeholder.${i}.key`])) {
      for (const kv of KV) {
        outputs.push(valueInfo(`present.${i}.encoder.${kv}`, "float32", dims.encoder));
      }
    }
  }
  return { nodes, outputs };
}

/** The model's declared inputs for one file kind. */
function inputs(parts: OptimumDecoderParts, kind: OptimumDecoderKind): OnnxValueInfo[] {
  const { layers, heads, headDim } = parts.graphs.geometry;
  const n = names(parts.naming);
  const seq2seq = parts.naming === "seq2seq";
  const list = [
    valueInfo("input_ids", "int64", [
      "batch_size",
      kind === "with_past" ? 1 : "decoder_sequence_length",
    ]),
  ];
  if (kind !== "with_past" || !seq2seq) {
    list.push(valueInfo("encoder_hidden_states", "float32", [
      "batch_size",
      "encoder_sequence_length",
      parts.encoderHidden,
    ]));
  }
  if (kind === "no_past") return list;
  for (let i = 0; i < layers; i++) {
    for (const kv of KV) {
      list.push(
        valueInfo(n.pastDecoder(i, kv), "float32", ["batch_size", heads, n.pastDim, headDim]),
      );
    }
    if (seq2seq) {
      for (const kv of KV) {
        list.push(valueInfo(`past_key_values.${i}.encoder.${kv}`, "float32", [
          "batch_size",
          heads,
          "encoder_sequence_length_out",
          headDim,
        ]));
      }
    }
  }
  if (kind === "merged") list.push(valueInfo("use_cache_branch", "bool", [1]));
  return list;
}

/**
 * Builds one of Optimum's decoder files.
 * @param parts vedge's graphs, the encoder width and the cache naming
 * @param kind "merged" (decoder_model_merged), "no_past" (decoder_model) or "with_past"
 *   (decoder_with_past_model)
 * @returns the ONNX model's bytes (the one copy of the decoder's weights)
 * @example
 * ```ts
 * const merged = buildOptimumDecoder({ graphs, encoderHidden: 768, naming: "gpt2" }, "merged");
 * ```
 */
export function buildOptimumDecoder(
  parts: OptimumDecoderParts,
  kind: OptimumDecoderKind,
): Uint8Array {
  return onnxProtos.ModelProto.encode(optimumDecoderModel(parts, kind)).finish();
}

/**
 * One of Optimum's decoder files as a model message (its initializers reference the weights).
 * @param parts vedge's graphs, the encoder width and the cache naming
 * @param kind "merged", "no_past" or "with_past"
 * @returns the ModelProto
 */
export function optimumDecoderModel(
  parts: OptimumDecoderParts,
  kind: OptimumDecoderKind,
): OnnxModel {
  const { heads, headDim, vocab } = parts.graphs.geometry;
  const n = names(parts.naming);
  const declared = inputs(parts, kind);
  const c = new GraphComposer(declared.map((v) => v.name ?? ""));
  const seq = kind === "with_past" ? 1 : "decoder_sequence_length";
  const pastPlusOne = `${n.pastDim} + 1`;
  const dims = {
    logits: ["batch_size", seq, vocab],
    present: [
      "batch_size",
      heads,
      kind === "no_past" ? "decoder_sequence_length" : pastPlusOne,
      headDim,
    ],
    // The merged file's cached branch returns [0, 1, 1, 1] placeholders here: fixed head sizes
    // would fail ORT's shape merge, so they stay symbolic (as in Optimum's merged files).
    encoder: kind === "with_past"
      ? []
      : kind === "merged"
      ? ["batch_size", "encoder_num_heads", "encoder_sequence_length_out", "encoder_head_dim"]
      : ["batch_size", heads, "encoder_sequence_length_out", headDim],
  };
  let nodes: OnnxNode[];
  let outputs: OnnxValueInfo[];
  if (kind === "merged") {
    const noPast = buildBody(c, parts, false, "no_past/", dims);
    const withPast = buildBody(c, parts, true, "with_past/", dims);
    const branch = (name: string, body: Body): InstanceType<typeof onnxProtos.GraphProto> =>
      onnxProtos.GraphProto.create({ name, node: body.nodes, output: body.outputs });
    const T = onnxProtos.AttributeProto.AttributeType;
    outputs = noPast.outputs;
    nodes = [onnxProtos.NodeProto.create({
      opType: "If",
      name: "optimum::if",
      input: ["use_cache_branch"],
      output: outputs.map((o) => o.name ?? ""),
      attribute: [
        { name: "then_branch", type: T.GRAPH, g: branch("with_past", withPast) },
        { name: "else_branch", type: T.GRAPH, g: branch("no_past", noPast) },
      ],
    })];
  } else {
    ({ nodes, outputs } = buildBody(c, parts, kind === "with_past", "", dims));
  }
  const opset = Math.max(parts.graphs.crossKv.opset, parts.graphs.decoderStep.opset);
  return onnxProtos.ModelProto.create({
    irVersion: 8,
    producerName: "vedge",
    opsetImport: [onnxProtos.OperatorSetIdProto.create({ domain: "", version: opset })],
    graph: onnxProtos.GraphProto.create({
      name: kind === "merged" ? "merged" : kind,
      node: nodes,
      input: declared,
      output: outputs,
      initializer: c.initializers,
    }),
  });
}
