import assert from "node:assert/strict";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { decodeModel, encodeModel } from "../graph/onnx_io.ts";
import { readSafetensors, writeSafetensors } from "../weights/safetensors.ts";
import { onnxChunks, safetensorsChunks } from "./file_chunks.ts";
import { optimumExport } from "./optimum_export.ts";

const FIXTURES = new URL("../../tests/fixtures/models/", import.meta.url);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.byteLength);
  return out;
}

for (const name of ["vit-gpt2", "trocr"]) {
  Deno.test(`safetensorsChunks() of ${name} are writeSafetensors()'s bytes, tensor data passed through`, async () => {
    const { tensors } = readSafetensors(
      await Deno.readFile(new URL(`${name}/model.safetensors`, FIXTURES)),
    );
    const chunks = safetensorsChunks(tensors, { format: "pt" });
    assert.deepEqual(concat(chunks), writeSafetensors(tensors, { format: "pt" }));
    const views = new Set([...tensors.values()].map((t) => t.data));
    assert.equal(chunks.slice(1).filter((c) => views.has(c)).length, tensors.size);
  });

  Deno.test(`onnxChunks() of ${name}'s export decode to the same model as ModelProto.encode`, async () => {
    const raw = JSON.parse(await Deno.readTextFile(new URL(`${name}/config.json`, FIXTURES)));
    const { tensors } = readSafetensors(
      await Deno.readFile(new URL(`${name}/model.safetensors`, FIXTURES)),
    );
    const files = optimumExport(VisionEncoderDecoderConfig.fromDict(raw), tensors).files;
    for (const f of files) {
      const whole = f.build();
      const streamed = concat(f.chunks());
      assert.equal(streamed.byteLength, whole.byteLength, f.path);
      // Field order differs (initializers last); re-encoding the decoded stream must give `whole`.
      assert.deepEqual(encodeModel(decodeModel(streamed)), whole, f.path);
    }
    assert.deepEqual(onnxChunks({ irVersion: 8 }).length, 1);
  });
}
