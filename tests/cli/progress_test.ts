/**
 * The CLI's progress line: redrawn in place on a terminal, one line per update elsewhere (no
 * carriage returns), throttled except for final states, and messages never mixed into it.
 */
import assert from "node:assert/strict";
import {
  BatchProgress,
  downloadProgress,
  progressEnabled,
  ProgressLine,
} from "../../src/cli/progress.ts";

function recorder(tty: boolean, clock: { t: number }) {
  const out: string[] = [];
  const line = new ProgressLine((s) => out.push(s), { tty, now: () => clock.t });
  return { out, line };
}

Deno.test("progress is on for a terminal, off with --quiet, forced with --progress", () => {
  assert.equal(progressEnabled({}, true), true);
  assert.equal(progressEnabled({}, false), false);
  assert.equal(progressEnabled({ quiet: true }, true), false);
  assert.equal(progressEnabled({ progress: true }, false), true);
});

Deno.test("downloads show bytes, percent and rate; throttled, the last update always shown", () => {
  const clock = { t: 0 };
  const { out, line } = recorder(false, clock);
  const report = downloadProgress(line, () => clock.t);
  const total = 4 * 1024 * 1024;
  report({ file: "onnx/encoder_model.onnx", loaded: 0, total });
  clock.t = 500;
  report({ file: "onnx/encoder_model.onnx", loaded: 1024 * 1024, total }); // throttled (< 1 s)
  clock.t = 1000;
  report({ file: "onnx/encoder_model.onnx", loaded: 2 * 1024 * 1024, total });
  clock.t = 1200;
  report({ file: "onnx/encoder_model.onnx", loaded: total, total }); // final: not throttled
  clock.t = 1300;
  report({ file: "config.json", loaded: 300, total: undefined });
  assert.deepEqual(out, [
    "downloading onnx/encoder_model.onnx: 0 B of 4.0 MiB (0%)\n",
    "downloading onnx/encoder_model.onnx: 2.0 MiB of 4.0 MiB (50%), 2.0 MiB/s\n",
    "downloading onnx/encoder_model.onnx: 4.0 MiB of 4.0 MiB (100%), 3.3 MiB/s\n",
  ]);
  assert.ok(out.every((s) => !s.includes("\r")), "no carriage returns off a terminal");
});

Deno.test("on a terminal the line is redrawn in place and messages clear it first", () => {
  const clock = { t: 0 };
  const { out, line } = recorder(true, clock);
  const batches = new BatchProgress(line, 20);
  batches.start();
  batches.done(8, 0, 100, 2000);
  line.log("vedge: bad.png: not an image");
  batches.done(8, 1, 60, 2000);
  batches.done(4, 0, 40, 1000);
  line.end();
  assert.deepEqual(out, [
    "\r0/20 images\x1b[K",
    "\r8/20 images, 50.0 tokens/s\x1b[K",
    "\r\x1b[K",
    "vedge: bad.png: not an image\n",
    "\r16/20 images (1 failed), 40.0 tokens/s\x1b[K",
    "\r20/20 images (1 failed), 40.0 tokens/s\x1b[K",
    "\n",
  ]);
});

Deno.test("off a terminal every batch is a line of its own", () => {
  const clock = { t: 0 };
  const { out, line } = recorder(false, clock);
  const batches = new BatchProgress(line, 2);
  batches.start();
  batches.done(1, 0, 5, 100);
  batches.done(1, 0, 5, 100);
  line.end();
  assert.deepEqual(out, [
    "0/2 images\n",
    "1/2 images, 50.0 tokens/s\n",
    "2/2 images, 50.0 tokens/s\n",
  ]);
});
