/**
 * Numerical parity of the ONNX-export path with the Python reference: encoder output for both
 * PNG probes, and the decoder's logits at every position of the golden decoder_input_ids (fed one
 * token at a time through the cache), within 1e-4, through the merged decoder and the pair.
 */
import assert from "node:assert/strict";
import { folderFiles } from "../../src/hub/folder_files.ts";
import { VisionEncoderDecoderModel } from "../../src/model/vision_encoder_decoder.ts";
import { detectPlatform } from "../../src/platform/detect.ts";
import { selectBackend } from "../../src/runtime/backend.ts";
import { GraphSession } from "../../src/runtime/graph_session.ts";
import { ExportDecoder } from "../../src/runtime/export_decoder.ts";
import { floatTensor } from "../../src/runtime/tensors.ts";
import { golden, maxAbsDiff, modelDir, MODELS } from "../support/goldens.ts";

for (const model of MODELS) {
  Deno.test(`${model}: encoder output of both PNG probes within 1e-4 of the reference`, async () => {
    const g = await golden(model);
    const files = folderFiles(model, modelDir(model), await detectPlatform());
    const m = await VisionEncoderDecoderModel.fromFiles(files, { device: "wasm" });
    try {
      for (const image of ["probe.png", "probe2.png"]) {
        const pv = g.pixel_values[image];
        const out = await m.encode({ data: new Float32Array(pv.data), dims: pv.dims });
        assert.deepEqual(out.dims, g.encoder_last_hidden_state[image].dims);
        const d = maxAbsDiff(out.data, g.encoder_last_hidden_state[image].data);
        assert.ok(d <= 1e-4, `${image}: max |diff| ${d}`);
      }
    } finally {
      await m.dispose();
    }
  });

  for (const kind of ["merged", "pair"] as const) {
    Deno.test(`${model}: decoder logits at every position within 1e-4 (${kind} decoder)`, async () => {
      const g = await golden(model);
      const dir = modelDir(model);
      const backend = await selectBackend({ device: "wasm" });
      const load = async (f: string) =>
        GraphSession.create(backend, await Deno.readFile(`${dir}/onnx/${f}`), f);
      const [first, withPast] = kind === "merged"
        ? await load("decoder_model_merged.onnx").then((s) => [s, s])
        : [await load("decoder_model.onnx"), await load("decoder_with_past_model.onnx")];
      const dec = new ExportDecoder(first, withPast, 1024);
      const enc = g.encoder_last_hidden_state[g.decoder_logits.image];
      const stepper = dec.bind(
        floatTensor(backend.ort, { data: new Float32Array(enc.data), dims: enc.dims }),
      );
      const ids = g.decoder_logits.decoder_input_ids[0];
      const ref = g.decoder_logits.logits;
      const vocab = ref.dims[2];
      let out = await stepper.start([[ids[0]]]);
      let worst = 0;
      for (let pos = 0; pos < ids.length; pos++) {
        if (pos > 0) out = await stepper.step(out.cache, [ids[pos]]);
        const d = maxAbsDiff(out.logits, ref.data.slice(pos * vocab, (pos + 1) * vocab));
        worst = Math.max(worst, d);
      }
      assert.ok(worst <= 1e-4, `max |diff| ${worst}`);
      await Promise.all([...new Set([first, withPast])].map((s) => s.release()));
    });
  }
}
