/**
 * Models vedge builds itself from PyTorch checkpoints (no onnx/ folder), against the Python
 * reference: encoder output, logits and loss within 1e-4, and every golden generate case with
 * identical ids, from model.safetensors alone and from pytorch_model.bin alone. Also the loss
 * through the ONNX exports, and save -> load round trips.
 */
import assert from "node:assert/strict";
import { memoryFiles, type ModelFiles } from "../../src/hub/model_files.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { folderFiles } from "../../src/hub/folder_files.ts";
import { detectPlatform } from "../../src/platform/detect.ts";
import { golden, type GoldenCase, maxAbsDiff, modelDir, MODELS } from "../support/goldens.ts";

const COMMON = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
];

async function checkpointOnly(model: string, checkpoint: string): Promise<ModelFiles> {
  const entries: Record<string, Uint8Array> = {};
  for (const f of [...COMMON, checkpoint]) {
    entries[f] = await Deno.readFile(`${modelDir(model)}/${f}`);
  }
  return memoryFiles(`${model} (${checkpoint} only)`, entries);
}

function pixels(g: Awaited<ReturnType<typeof golden>>, images: string[]) {
  const parts = images.map((i) => g.pixel_values[i]);
  const per = parts[0].data.length;
  const data = new Float32Array(per * parts.length);
  parts.forEach((p, i) => data.set(p.data, i * per));
  return { data, dims: [parts.length, ...parts[0].dims.slice(1)] };
}

async function checkAgainstGoldens(m: VisionEncoderDecoderModel, model: string) {
  const g = await golden(model);
  for (const image of ["probe.png", "probe2.png"]) {
    const out = await m.encode(pixels(g, [image]));
    const d = maxAbsDiff(out.data, g.encoder_last_hidden_state[image].data);
    assert.ok(d <= 1e-4, `encoder ${image}: ${d}`);
  }
  // logits from the reference's encoder states isolate the decoder (as for the exports); from
  // pixel values they also carry the encoder's float32 rounding (trocr: 2.0e-4, the same as
  // Optimum's own export gives), so there the argmax must agree
  const dl = g.decoder_logits;
  const enc = g.encoder_last_hidden_state[dl.image];
  const fwd = await m.forward({
    encoderHiddenStates: { data: new Float32Array(enc.data), dims: enc.dims },
    decoderInputIds: dl.decoder_input_ids,
  });
  const ld = maxAbsDiff(fwd.logits.data, dl.logits.data);
  assert.ok(ld <= 1e-4, `logits: ${ld}`);
  const e2e = await m.forward({
    pixelValues: pixels(g, [dl.image]),
    decoderInputIds: dl.decoder_input_ids,
  });
  const vocab = dl.logits.dims[2];
  const argmax = (d: ArrayLike<number>, p: number) => {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (d[p * vocab + v] > d[p * vocab + best]) best = v;
    return best;
  };
  (g.decoder_logits as unknown as { argmax: number[][] }).argmax[0].forEach((a, p) =>
    assert.equal(argmax(e2e.logits.data, p), a, `argmax at ${p}`)
  );
  const loss = await m.forward({ pixelValues: pixels(g, g.loss.images), labels: g.loss.labels });
  assert.ok(Math.abs(loss.loss! - g.loss.loss) <= 1e-4, `loss ${loss.loss} vs ${g.loss.loss}`);
  for (const c of g.generate as GoldenCase[]) {
    const out = await m.generate(pixels(g, c.images), c.kwargs);
    assert.deepEqual(out.sequences, c.sequences, c.name);
    c.sequences_scores?.forEach((s, i) =>
      assert.ok(
        Math.abs(out.sequencesScores![i] - s) <= Math.min(1e-4, c.min_candidate_score_gap),
        c.name,
      )
    );
  }
}

for (const model of MODELS) {
  for (const checkpoint of ["model.safetensors", "pytorch_model.bin"]) {
    Deno.test(`${model} built from ${checkpoint} alone matches the goldens`, async () => {
      const m = await VisionEncoderDecoderModel.fromFiles(await checkpointOnly(model, checkpoint), {
        device: "wasm",
      });
      try {
        assert.ok(m.weights, "graphs were built from the checkpoint");
        await checkAgainstGoldens(m, model);
      } finally {
        await m.dispose();
      }
    });
  }

  Deno.test(`${model}: the loss through the ONNX export matches the golden`, async () => {
    const g = await golden(model);
    const files = folderFiles(model, modelDir(model), await detectPlatform());
    const m = await VisionEncoderDecoderModel.fromFiles(files, { device: "wasm" });
    try {
      const out = await m.forward({ pixelValues: pixels(g, g.loss.images), labels: g.loss.labels });
      assert.ok(Math.abs(out.loss! - g.loss.loss) <= 1e-4, `loss ${out.loss} vs ${g.loss.loss}`);
      await assert.rejects(m.savePretrained(await Deno.makeTempDir()), /ONNX export/);
    } finally {
      await m.dispose();
    }
  });

  Deno.test(`${model}: savePretrained -> fromFiles round-trips to identical outputs`, async () => {
    const g = await golden(model);
    const m = await VisionEncoderDecoderModel.fromFiles(
      await checkpointOnly(model, "model.safetensors"),
      { device: "wasm" },
    );
    const dir = await Deno.makeTempDir();
    try {
      const written = await m.savePretrained(dir);
      assert.ok(
        written.includes("model.safetensors") && written.includes("onnx/decoder_model_merged.onnx"),
      );
      const platform = await detectPlatform();
      const pv = pixels(g, ["probe.png", "probe2.png"]);
      const before = await m.generate(pv, { max_new_tokens: 16, num_beams: 3 });
      for (const from of ["safetensors", "onnx"] as const) {
        const again = await VisionEncoderDecoderModel.fromFiles(
          folderFiles("saved", dir, platform),
          {
            device: "wasm",
            from,
          },
        );
        try {
          const after = await again.generate(pv, { max_new_tokens: 16, num_beams: 3 });
          assert.deepEqual(after.sequences, before.sequences, from);
          after.sequencesScores!.forEach((s, i) =>
            assert.ok(Math.abs(s - before.sequencesScores![i]) <= 1e-5, from)
          );
        } finally {
          await again.dispose();
        }
      }
    } finally {
      await m.dispose();
    }
  });
}
