import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { decodeModel, encodeModel, toInt } from "./onnx_io.ts";

const FIXTURE = new URL(
  "../../tests/fixtures/models/trocr/onnx/decoder_model.onnx",
  import.meta.url,
);
const IMAGE = new URL("../../tests/fixtures/images/probe.png", import.meta.url);

Deno.test("decodeModel() refuses bytes that are not an ONNX model, saying what it found", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["text", new TextEncoder().encode('{"model_type": "gpt2"}')],
    ["png", Deno.readFileSync(IMAGE)],
    ["truncated", Deno.readFileSync(FIXTURE).subarray(0, 1000)],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(
      () => decodeModel(bytes, `onnx/${what}.onnx`),
      (e: unknown) =>
        e instanceof ModelLoadError && e.code === "MODEL_LOAD" &&
        e.message.startsWith(
          `Cannot load onnx/${what}.onnx: ${bytes.length} bytes are not an ONNX model`,
        ),
      what,
    );
  }
  assert.throws(() => decodeModel("x" as unknown as Uint8Array), TypeError);
});

Deno.test("decodeModel() keeps initializers' raw bytes as views of the input (no copy)", () => {
  const bytes = Deno.readFileSync(FIXTURE);
  const model = decodeModel(bytes);
  const inits = model.graph?.initializer ?? [];
  assert.equal(inits.length, 57);
  let viewed = 0;
  for (const t of inits) {
    if (!t.rawData || t.rawData.length === 0) continue;
    assert.equal(t.rawData.buffer, bytes.buffer, t.name ?? "");
    // The view's bytes are the file's bytes at that offset.
    assert.equal(bytes[t.rawData.byteOffset], t.rawData[0]);
    viewed++;
  }
  assert.ok(viewed > 40, `${viewed} views`);
  assert.equal(toInt(model.irVersion), 6);
});

Deno.test("encodeModel() round-trips a fixture decoder structurally", () => {
  const model = decodeModel(Deno.readFileSync(FIXTURE));
  const again = decodeModel(encodeModel(model));
  const g1 = model.graph!;
  const g2 = again.graph!;
  assert.equal(g2.node?.length, g1.node?.length);
  assert.deepEqual(g2.node?.map((n) => n.output), g1.node?.map((n) => n.output));
  assert.deepEqual(g2.input?.map((v) => v.name), g1.input?.map((v) => v.name));
  const sum = (g: typeof g1): number =>
    (g.initializer ?? []).reduce((s, t) => s + (t.rawData?.length ?? 0), 0);
  assert.equal(sum(g2), sum(g1));
});
