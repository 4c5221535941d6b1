import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("onnxruntime's native log never reaches stderr; a failed run is one line naming the graph", async () => {
  // A Gather out of range inside the decoder: onnxruntime used to print its own
  // "[E:onnxruntime:, sequential_executor.cc:...]" lines before the error came back.
  const code = `
    import { VisionEncoderDecoderModel } from "${new URL(
    "src/model/vision_encoder_decoder.ts",
    ROOT,
  )}";
    const dir = "${new URL("tests/fixtures/models/trocr", ROOT).pathname}";
    for (const from of ["onnx", "safetensors"]) {
      const m = await VisionEncoderDecoderModel.fromPretrained(dir, { device: "wasm", from });
      const pixelValues = { data: new Float32Array(3 * 32 * 32), dims: [1, 3, 32, 32] };
      try {
        await m.forward({ pixelValues, decoderInputIds: [[2, 99999]] });
        console.log("no error");
      } catch (e) {
        console.log(JSON.stringify(e.message));
      }
      await m.dispose();
    }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.ok(!/onnxruntime|\[E:/.test(stderr), `stderr:\n${stderr}`);
  const messages = stdout.split("\n").map((l) => JSON.parse(l) as string);
  assert.equal(messages.length, 2, stdout);
  for (const m of messages) {
    assert.ok(!m.includes("\n"), `one line: ${m}`);
    assert.match(m, /trocr.*onnxruntime run failed: .*indices element out of data bounds/);
  }
});
