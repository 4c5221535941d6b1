// Builds Optimum-layout files from each fixture's model.safetensors and runs them exactly as the
// fixtures' own Optimum 1.13 exports are run (runtime/export_decoder.ts: a merged decoder with
// use_cache_branch false then true, or the no-past/with-past pair), on onnxruntime-web with one
// thread: a plain greedy loop must give the golden ids of transformers v4.27's generate().
import assert from "node:assert/strict";
import { VisionEncoderDecoderConfig } from "../config/vision_encoder_decoder_config.ts";
import { decodeModel } from "../graph/onnx_io.ts";
import type { DecoderStepper } from "../generation/decoder_stepper.ts";
import { folderFiles } from "../hub/folder_files.ts";
import { createDenoPlatform } from "../platform/deno.ts";
import { type Backend, selectBackend } from "../runtime/backend.ts";
import { ExportDecoder } from "../runtime/export_decoder.ts";
import { GraphSession } from "../runtime/graph_session.ts";
import { loadCheckpoint } from "../weights/checkpoint.ts";
import { optimumExport } from "./optimum_export.ts";
import { type Golden, golden as readGolden } from "../../tests/support/goldens.ts";

const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);

async function fixture(name: string) {
  const dir = new URL(`models/${name}/`, FIXTURES);
  const files = folderFiles(name, dir.pathname, createDenoPlatform());
  const raw = JSON.parse(await Deno.readTextFile(new URL("config.json", dir)));
  const config = VisionEncoderDecoderConfig.fromDict(raw, `${name}/config.json`);
  const { tensors } = await loadCheckpoint(files);
  const golden: Golden = await readGolden(name);
  const dec = raw.decoder as Record<string, number>;
  return {
    dir,
    config,
    tensors,
    golden,
    maxPositions: dec.n_positions ?? dec.max_position_embeddings,
  };
}

/** Python's greedy search: argmax (first maximum), finished rows padded, stop when all end. */
async function greedy(stepper: DecoderStepper, g: Golden, images: number, maxNew: number) {
  const { decoder_start_token_id: start, eos_token_id: eos, pad_token_id: pad } =
    g.generation_config;
  const seqs = Array.from({ length: images }, () => [start]);
  const done = new Array(images).fill(false);
  let out = await stepper.start(seqs.map((s) => [...s]));
  for (let t = 0; t < maxNew; t++) {
    const v = stepper.vocabSize;
    const next = seqs.map((_, r) => {
      if (done[r]) return pad;
      const row = out.logits.subarray(r * v, (r + 1) * v);
      let best = 0;
      for (let i = 1; i < v; i++) if (row[i] > row[best]) best = i;
      return best;
    });
    next.forEach((tok, r) => {
      seqs[r].push(tok);
      if (tok === eos) done[r] = true;
    });
    if (done.every(Boolean) || t === maxNew - 1) break;
    out = await stepper.step(out.cache, next);
  }
  return seqs;
}

function pixels(backend: Backend, g: Golden, images: string[]) {
  const pv = images.map((i) => g.pixel_values[i]);
  const data = Float32Array.from(pv.flatMap((p) => p.data));
  return new backend.ort.Tensor("float32", data, [images.length, ...pv[0].dims.slice(1)]);
}

const CASES = ["greedy", "greedy_probe2", "greedy_jpeg", "batch2_greedy"];

for (const name of ["vit-gpt2", "trocr"]) {
  Deno.test(`optimumExport() of ${name}: the merged decoder and the pair give the golden greedy ids`, async () => {
    const fx = await fixture(name);
    const backend = await selectBackend({ device: "wasm", numThreads: 1 });
    backend.ort.env.logLevel = "error";
    const exp = optimumExport(fx.config, fx.tensors, { decoder: "both", source: name });
    assert.equal(exp.naming, name === "vit-gpt2" ? "gpt2" : "seq2seq");
    assert.deepEqual(exp.files.map((f) => f.path), [
      "onnx/encoder_model.onnx",
      "onnx/decoder_model_merged.onnx",
      "onnx/decoder_model.onnx",
      "onnx/decoder_with_past_model.onnx",
    ]);
    const sessions: Record<string, GraphSession> = {};
    const sizes: Record<string, number> = {};
    for (const f of exp.files) {
      const bytes = f.build();
      sizes[f.path] = bytes.byteLength;
      sessions[f.path] = await GraphSession.create(backend, bytes, f.path);
    }
    // Weights stored once in the merged file: it is barely larger than the no-past file.
    const merged = sizes["onnx/decoder_model_merged.onnx"];
    assert.ok(merged < sizes["onnx/decoder_model.onnx"] * 1.2, JSON.stringify(sizes));

    // Same input and output names, element types and ranks as the fixture's own export.
    const theirs = await GraphSession.create(
      backend,
      await Deno.readFile(new URL("onnx/decoder_model_merged.onnx", fx.dir)),
      "fixture merged",
    );
    const sig = (s: GraphSession) => ({
      inputs: s.inputs().map((i) => `${i.name} ${i.type} rank ${i.shape.length}`),
      outputs: s.outputs().map((o) => `${o.name} ${o.type} rank ${o.shape.length}`),
    });
    assert.deepEqual(sig(sessions["onnx/decoder_model_merged.onnx"]), sig(theirs));
    await theirs.release();
    for (const file of ["onnx/decoder_model.onnx", "onnx/decoder_with_past_model.onnx"]) {
      const fixture = await GraphSession.create(
        backend,
        await Deno.readFile(new URL(file, fx.dir)),
        `fixture ${file}`,
      );
      assert.deepEqual(sig(sessions[file]), sig(fixture), file);
      await fixture.release();
    }

    const encoder = sessions["onnx/encoder_model.onnx"];
    const layouts = {
      merged: new ExportDecoder(
        sessions["onnx/decoder_model_merged.onnx"],
        sessions["onnx/decoder_model_merged.onnx"],
        fx.maxPositions,
      ),
      pair: new ExportDecoder(
        sessions["onnx/decoder_model.onnx"],
        sessions["onnx/decoder_with_past_model.onnx"],
        fx.maxPositions,
      ),
    };
    for (const c of fx.golden.generate.filter((c) => CASES.includes(c.name))) {
      const states = (await encoder.run({ pixel_values: pixels(backend, fx.golden, c.images) }))
        .last_hidden_state;
      for (const [layout, decoder] of Object.entries(layouts)) {
        const ids = await greedy(
          decoder.bind(states),
          fx.golden,
          c.images.length,
          c.kwargs.max_new_tokens as number,
        );
        assert.deepEqual(ids, c.sequences, `${name} ${c.name} (${layout})`);
      }
    }
    assert.ok(layouts.merged.stats.stepRuns > 0 && layouts.pair.stats.stepRuns > 0);

    // Optimum's ORTModel feeds the first merged call dummy pasts of length 1: the no-past branch
    // must ignore them (logits equal to decoder_model.onnx's, which has no past inputs).
    const ort = backend.ort;
    const states = (await encoder.run({ pixel_values: pixels(backend, fx.golden, ["probe.png"]) }))
      .last_hidden_state;
    const ids = new ort.Tensor(
      "int64",
      BigInt64Array.of(BigInt(fx.golden.generation_config.decoder_start_token_id)),
      [1, 1],
    );
    const mergedSession = sessions["onnx/decoder_model_merged.onnx"];
    const feeds: Record<string, typeof states> = {
      input_ids: ids,
      encoder_hidden_states: states,
      use_cache_branch: new ort.Tensor("bool", Uint8Array.of(0), [1]),
    };
    for (const i of mergedSession.inputs()) {
      if (!i.name.startsWith("past_key_values.")) continue;
      const dims = i.shape.map((d) => (typeof d === "number" ? d : 1));
      feeds[i.name] = new ort.Tensor(
        "float32",
        new Float32Array(dims.reduce((a, b) => a * b)).fill(7),
        dims,
      );
    }
    const dummy = await mergedSession.run(feeds);
    const plain = await sessions["onnx/decoder_model.onnx"].run(feeds);
    assert.deepEqual(dummy.logits.data, plain.logits.data);
    for (const s of Object.values(sessions)) await s.release();
  });
}

Deno.test("optimumExport() merged decoders hold one If whose branches read the weights from the outer graph", async () => {
  const fx = await fixture("trocr");
  const file = optimumExport(fx.config, fx.tensors).files[1];
  const model = decodeModel(file.build());
  const graph = model.graph!;
  assert.deepEqual(graph.node!.map((n) => n.opType), ["If"]);
  const inits = new Set(graph.initializer!.map((t) => t.name));
  for (const w of fx.tensors.keys()) {
    if (w.startsWith("decoder.") && !w.endsWith("embed_positions.weight")) {
      assert.ok(inits.has(w) || !w.includes("layers"), `${w} is not a top-level initializer`);
    }
  }
  for (const a of graph.node![0].attribute!) {
    assert.equal(a.g!.initializer!.length, 0, `${a.name} has its own initializers`);
    assert.equal(a.g!.input!.length, 0);
  }
  const names = graph.node![0].attribute!.map((a) => `${a.name}=${a.g!.name}`);
  assert.deepEqual(names, ["then_branch=with_past", "else_branch=no_past"]);
});
