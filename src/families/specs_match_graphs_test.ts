/**
 * Each family writes a tensor's name and shape twice: where its graph reads it and in its weight
 * specs. This test keeps the two from drifting: the graphs of every encoder x decoder pair, built
 * from weights made from the specs, read only spec'd tensors of the spec'd shape (GraphWeights
 * checks the shape), and every spec'd tensor the graphs do not read is one of the few Python
 * keeps for other heads (a pooler), a buffer the graphs compute, or a name tied to another.
 */
import assert from "node:assert/strict";
import { parseModelConfig } from "../config/config_registry.ts";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import type { WeightTensor } from "../weights/weight_tensor.ts";
import { DECODER_FAMILIES, ENCODER_FAMILIES } from "./index.ts";
import { initWeights } from "./init_weights.ts";
import { buildDecoderGraphs, visionEncoderDecoderWeightSpecs } from "./model_graphs.ts";

/** A map that records which names were read. */
class Recording extends Map<string, WeightTensor> {
  readonly read = new Set<string>();
  override get(name: string): WeightTensor | undefined {
    this.read.add(name);
    return super.get(name);
  }
}

const VIT_LIKE = { num_attention_heads: 2, intermediate_size: 24 };
const ENCODERS: Record<string, Record<string, unknown>> = {
  vit: { ...VIT_LIKE, image_size: 16, patch_size: 8, hidden_size: 16, num_hidden_layers: 1 },
  deit: { ...VIT_LIKE, image_size: 16, patch_size: 8, hidden_size: 16, num_hidden_layers: 1 },
  beit: {
    ...VIT_LIKE,
    image_size: 16,
    patch_size: 8,
    hidden_size: 16,
    num_hidden_layers: 1,
    use_relative_position_bias: true,
    use_mean_pooling: false,
  },
  swin: {
    image_size: 16,
    patch_size: 4,
    embed_dim: 8,
    depths: [1, 1],
    num_heads: [2, 2],
    window_size: 2,
  },
  "donut-swin": {
    image_size: 16,
    patch_size: 4,
    embed_dim: 8,
    depths: [1, 1],
    num_heads: [2, 2],
    window_size: 2,
  },
};
const DECODERS: Record<string, Record<string, unknown>> = {
  gpt2: { n_embd: 16, n_layer: 1, n_head: 2, n_positions: 8, vocab_size: 40 },
  bert: { hidden_size: 16, num_hidden_layers: 1, max_position_embeddings: 8, vocab_size: 40 },
  roberta: { hidden_size: 16, num_hidden_layers: 1, max_position_embeddings: 8, vocab_size: 40 },
  trocr: { d_model: 16, decoder_layers: 1, decoder_ffn_dim: 24, vocab_size: 40 },
  bart: { d_model: 16, decoder_layers: 1, decoder_ffn_dim: 24, vocab_size: 40 },
  mbart: { d_model: 16, decoder_layers: 1, decoder_ffn_dim: 24, vocab_size: 40 },
};
const HEADS = { num_attention_heads: 2, decoder_attention_heads: 2, intermediate_size: 24 };

/** Tensors a VisionEncoderDecoder checkpoint holds that its generation graphs never read. */
const UNREAD = /^encoder\.pooler\.dense\.(weight|bias)$/;

Deno.test("the registry covers every family this test builds", () => {
  assert.deepEqual(ENCODER_FAMILIES.map((f) => f.modelType).sort(), Object.keys(ENCODERS).sort());
  assert.deepEqual(DECODER_FAMILIES.map((f) => f.modelType).sort(), Object.keys(DECODERS).sort());
});

Deno.test("every family's graphs read exactly its spec'd parameters (no drift between the two)", () => {
  for (const [enc, e] of Object.entries(ENCODERS)) {
    for (const [dec, d] of Object.entries(DECODERS)) {
      const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
        parseModelConfig({ model_type: enc, ...e }),
        parseModelConfig({ model_type: dec, ...HEADS, ...d }),
      );
      const specs = visionEncoderDecoderWeightSpecs(config);
      const weights = new Recording(initWeights(config, { seed: 1 }));
      buildDecoderGraphs(config, weights, { source: `${enc} + ${dec}` });
      const unread = specs.filter((s) =>
        !weights.read.has(s.name) && s.init.kind !== "buffer" && s.tiedTo === undefined
      ).map((s) => s.name);
      assert.deepEqual(unread.filter((n) => !UNREAD.test(n)), [], `${enc} + ${dec}`);
      const unknown = [...weights.read].filter((n) => !specs.some((s) => s.name === n));
      assert.deepEqual(unknown, [], `${enc} + ${dec} read names no spec lists`);
    }
  }
});
