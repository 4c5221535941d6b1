/**
 * Batch x beams parity on every decoder family. In Python's beam search each batch row is
 * independent (its own scorer row, its own beams, done rows padded), so each image's sequences
 * and scores in a batch equal that image's solo search, padded with pad_token_id to the batch's
 * longest row; greedy likewise. Checked for GPT2, BERT, RoBERTa, TrOCR, BART and MBart decoders
 * behind DeiT (hidden sizes differ: enc_to_dec_proj) or Donut-Swin, through vedge's own graphs
 * and through the Optimum-layout export (merged decoder and pair), batch 3 x beams 3 on three
 * different images, weights drawn wide enough that each image decodes differently.
 *
 * Plus an export whose with-past step reads `encoder_hidden_states` (as Optimum's BERT and
 * RoBERTa exports do, for the cross-attention mask's shape): the rows are images x beams there.
 */
import assert from "node:assert/strict";
import { parseModelConfig } from "../../src/config/config_registry.ts";
import { VisionEncoderDecoderConfig } from "../../src/config/vision_encoder_decoder_config.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { decodeModel, encodeModel, type OnnxGraph, onnxProtos } from "../../src/graph/onnx_io.ts";
import { ELEM_TYPE } from "../../src/graph/onnx_io.ts";

const WIDE = { initializer_range: 0.4, init_std: 0.4 };
const SMALL = { vocab_size: 16, max_position_embeddings: 64, ...WIDE };
const BART_LIKE = {
  d_model: 32,
  decoder_layers: 2,
  decoder_attention_heads: 4,
  decoder_ffn_dim: 37,
  encoder_layers: 2,
  encoder_attention_heads: 4,
  encoder_ffn_dim: 37,
};
const BERT_LIKE = {
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 37,
};
const DECODERS: Record<string, Record<string, unknown>> = {
  gpt2: { model_type: "gpt2", n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64, ...WIDE },
  bert: { model_type: "bert", ...BERT_LIKE, ...SMALL },
  roberta: { model_type: "roberta", ...BERT_LIKE, ...SMALL, max_position_embeddings: 70 },
  trocr: {
    model_type: "trocr",
    d_model: 32,
    decoder_layers: 2,
    decoder_attention_heads: 4,
    decoder_ffn_dim: 37,
    ...SMALL,
  },
  bart: { model_type: "bart", ...BART_LIKE, ...SMALL },
  mbart: { model_type: "mbart", ...BART_LIKE, ...SMALL },
};
const DEIT = {
  model_type: "deit",
  image_size: 32,
  patch_size: 8,
  hidden_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 37,
  ...WIDE,
};
const DONUT_SWIN = {
  model_type: "donut-swin",
  image_size: [40, 32],
  patch_size: 4,
  embed_dim: 16,
  depths: [2, 2],
  num_heads: [2, 4],
  window_size: 3,
  ...WIDE,
};
// MBart's ids (start 0 = bos, pad 1, eos 2); gpt2 keeps its vocabulary of 50257 by default
const TOP = { decoder_start_token_id: 0, pad_token_id: 1, eos_token_id: 2 };
const PAD = 1;

function pixels(images: readonly number[], height: number) {
  const per = 3 * height * 32;
  const data = new Float32Array(images.length * per);
  images.forEach((img, n) => {
    for (let k = 0; k < per; k++) data[n * per + k] = Math.sin(k * 0.37 * (img + 1) + img) * 0.9;
  });
  return { data, dims: [images.length, 3, height, 32] };
}

type Model = VisionEncoderDecoderModel;
type Options = Record<string, number>;

async function assertBatchEqualsSolo(m: Model, height: number, options: Options, label: string) {
  const images = [0, 1, 2];
  const batch = await m.generate(pixels(images, height), options);
  const per = options.num_return_sequences ?? 1;
  assert.equal(batch.sequences.length, images.length * per, label);
  const distinct = new Set(batch.sequences.map((s) => s.join(",")));
  assert.ok(distinct.size > 1, `${label}: the images should decode differently`);
  for (const img of images) {
    const solo = await m.generate(pixels([img], height), options);
    for (let j = 0; j < per; j++) {
      const got = batch.sequences[img * per + j];
      const want = [...solo.sequences[j]];
      while (want.length < got.length) want.push(PAD);
      assert.deepEqual(got, want, `${label}: image ${img}, sequence ${j}`);
      if (solo.sequencesScores) {
        const a = batch.sequencesScores![img * per + j];
        const b = solo.sequencesScores[j];
        assert.ok(Math.abs(a - b) <= 1e-4, `${label}: image ${img} score ${a} vs ${b}`);
      } else assert.equal(batch.sequencesScores, null);
    }
  }
}

const CASES: Options[] = [
  { max_new_tokens: 8, num_beams: 3 },
  { max_new_tokens: 8, num_beams: 3, num_return_sequences: 2 },
  { max_new_tokens: 8 },
];

for (const [family, fields] of Object.entries(DECODERS)) {
  const encoders = family === "mbart" || family === "bart"
    ? [["deit", DEIT, 32], ["donut-swin", DONUT_SWIN, 40]] as const
    : [["deit", DEIT, 32]] as const;
  for (const [encName, encFields, height] of encoders) {
    Deno.test(`batch of 3 x beams 3 equals each image alone: ${encName} + ${family}, own graphs and exports`, async () => {
      const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
        parseModelConfig(encFields),
        parseModelConfig(fields),
        TOP,
      );
      const own = await VisionEncoderDecoderModel.fromConfig(config, { device: "wasm", seed: 7 });
      const dir = await Deno.makeTempDir();
      const models: [string, Model][] = [["own graphs", own]];
      try {
        await own.savePretrained(dir, { onnx: "both" });
        for (const decoder of ["merged", "pair"] as const) {
          const m = await VisionEncoderDecoderModel.fromPretrained(dir, {
            device: "wasm",
            from: "onnx",
            decoder,
          });
          models.push([`${decoder} export`, m]);
        }
        for (const [name, m] of models) {
          for (const options of CASES) {
            await assertBatchEqualsSolo(m, height, options, `${name} ${JSON.stringify(options)}`);
          }
        }
      } finally {
        for (const [, m] of models) await m.dispose();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}

/**
 * Makes a graph's `logits` depend on the batch size of `encoder_hidden_states`, as Optimum's
 * BERT export does through its cross-attention mask: logits + 0 * enc[:, :1, :1].
 */
function readEncoderStatesShape(graph: OnnxGraph, logitsName: string): void {
  const producer = (graph.node ?? []).find((n) => n.output?.includes(logitsName));
  assert.ok(producer, `no node makes ${logitsName}`);
  producer.output = producer.output!.map((o) => (o === logitsName ? "logits_unmasked" : o));
  const int64 = (name: string, values: number[]) =>
    onnxProtos.TensorProto.create({
      name,
      dataType: ELEM_TYPE.INT64,
      dims: [values.length],
      int64Data: values,
    });
  graph.initializer = [
    ...(graph.initializer ?? []),
    int64("t_zero2", [0, 0]),
    int64("t_one2", [1, 1]),
    int64("t_axes12", [1, 2]),
    onnxProtos.TensorProto.create({ name: "t_nought", dataType: ELEM_TYPE.FLOAT, floatData: [0] }),
  ];
  graph.node = [
    ...(graph.node ?? []),
    onnxProtos.NodeProto.create({
      opType: "Slice",
      input: ["encoder_hidden_states", "t_zero2", "t_one2", "t_axes12"],
      output: ["t_enc_corner"],
    }),
    onnxProtos.NodeProto.create({
      opType: "Mul",
      input: ["t_enc_corner", "t_nought"],
      output: ["t_enc_zero"],
    }),
    onnxProtos.NodeProto.create({
      opType: "Add",
      input: ["logits_unmasked", "t_enc_zero"],
      output: [logitsName],
    }),
  ];
}

Deno.test("an export whose with-past step reads encoder_hidden_states gets them per row (batch x beams)", async () => {
  const config = VisionEncoderDecoderConfig.fromEncoderDecoderConfigs(
    parseModelConfig(DEIT),
    parseModelConfig(DECODERS.bert),
    TOP,
  );
  const own = await VisionEncoderDecoderModel.fromConfig(config, { device: "wasm", seed: 7 });
  const dir = await Deno.makeTempDir();
  const models: Model[] = [own];
  try {
    await own.savePretrained(dir, { onnx: "both" });
    // pair: the with-past graph gains the input; merged: its with-past branch reads it
    const pairPath = `${dir}/onnx/decoder_with_past_model.onnx`;
    const pair = decodeModel(await Deno.readFile(pairPath));
    const first = decodeModel(await Deno.readFile(`${dir}/onnx/decoder_model.onnx`));
    const encInput = first.graph!.input!.find((i) => i.name === "encoder_hidden_states");
    assert.ok(encInput);
    pair.graph!.input = [...pair.graph!.input!, encInput];
    readEncoderStatesShape(pair.graph!, "logits");
    await Deno.writeFile(pairPath, encodeModel(pair));
    const mergedPath = `${dir}/onnx/decoder_model_merged.onnx`;
    const merged = decodeModel(await Deno.readFile(mergedPath));
    const ifNode = merged.graph!.node!.find((n) => n.opType === "If")!;
    const logitsIndex = ifNode.output!.indexOf("logits");
    const withPast = ifNode.attribute!.find((a) => a.name === "then_branch")!.g!;
    readEncoderStatesShape(withPast, withPast.output![logitsIndex].name!);
    await Deno.writeFile(mergedPath, encodeModel(merged));
    for (const decoder of ["merged", "pair"] as const) {
      const m = await VisionEncoderDecoderModel.fromPretrained(dir, {
        device: "wasm",
        from: "onnx",
        decoder,
      });
      models.push(m);
      const options = { max_new_tokens: 6, num_beams: 3 };
      await assertBatchEqualsSolo(m, 32, options, `${decoder} export reading the states`);
      const a = await own.generate(pixels([0, 1, 2], 32), options);
      const b = await m.generate(pixels([0, 1, 2], 32), options);
      assert.deepEqual(b.sequences, a.sequences, `${decoder}: the patch changes no logit`);
    }
  } finally {
    for (const m of models) await m.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
