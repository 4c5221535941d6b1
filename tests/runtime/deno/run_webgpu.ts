/**
 * The matrix's Deno WebGPU row (`deno run --unstable-webgpu`; llvmpipe from mesa-vulkan-drivers
 * here, a real GPU elsewhere): vedge's mod.ts by path with device "webgpu" forced, the same golden
 * cases as every row, plus what only WebGPU has to prove:
 * - the bytes copied between GPU and CPU per decoder run (model.stats.hostBytesPerStep) do not
 *   grow with the step, for greedy and beam-4 (self-attention K/V stay on the GPU), checked in
 *   every golden case (checks.ts's stepBytesDetail) and printed;
 * - logits of a whole golden sequence (model.forward) within 1e-3 of Python's;
 * - device "auto" takes WebGPU on a hardware adapter and WASM on a software one, saying why.
 * Prints the results as JSON, or skips (exit 3, reason on stderr) when there is no adapter.
 * Usage: deno run --unstable-webgpu --no-config --allow-read --allow-env run_webgpu.ts <cases.json> <fixtures>
 * @module
 */
import * as vedge from "../../../mod.ts";
import {
  type MatrixCase,
  type MatrixResult,
  pipelineCaption,
  runMatrixCases,
  stepBytesDetail,
} from "../checks.ts";

const [casesPath, fixtures] = Deno.args;
const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
if (!gpu || !(await gpu.requestAdapter())) {
  console.error(`no WebGPU adapter (${gpu ? "requestAdapter() gave none" : "no navigator.gpu"})`);
  Deno.exit(3);
}
const cases = JSON.parse(await Deno.readTextFile(casesPath)) as MatrixCase[];
const pipelines = new Map<string, Promise<vedge.ImageToTextPipeline>>();
const open = (m: string): Promise<vedge.ImageToTextPipeline> => {
  let p = pipelines.get(m);
  if (!p) {
    pipelines.set(
      m,
      p = vedge.pipeline("image-to-text", `${fixtures}/models/${m}`, {
        device: "webgpu",
      }),
    );
  }
  return p;
};
const api = {
  pipeline: (_task: string, source: string) => open(source.split("/").pop()!),
} as unknown as Parameters<typeof pipelineCaption>[0];
const results: MatrixResult[] = await runMatrixCases(
  cases,
  pipelineCaption(api, {
    model: (m) => `${fixtures}/models/${m}`,
    image: (n) => Deno.readFile(`${fixtures}/images/${n}`),
  }, { device: "webgpu" }),
);

/** Runs one extra check, timing it; a throw fails it with the message. */
async function check(name: string, body: () => Promise<string>): Promise<void> {
  const t0 = performance.now();
  let detail: string;
  try {
    detail = await body();
  } catch (e) {
    detail = `threw ${(e as Error).name}: ${(e as Error).message}`;
  }
  results.push({ check: name, ok: detail === "", detail, ms: Math.round(performance.now() - t0) });
}

interface Golden {
  pixel_values: Record<string, { dims: number[]; data: number[] }>;
  decoder_logits: {
    image: string;
    decoder_input_ids: number[][];
    logits: { dims: number[]; data: number[] };
  };
}

for (const model of [...new Set(cases.map((c) => c.model))]) {
  const p = await open(model);
  await check(`${model} backend is webgpu`, () =>
    Promise.resolve(
      p.model.backend.device === "webgpu"
        ? ""
        : `backend ${p.model.backend.device}: ${JSON.stringify(p.model.backend.report)}`,
    ));
  for (const c of cases.filter((c) => c.model === model)) {
    await check(`${model} ${c.name} GPU<->CPU bytes per step do not grow`, async () => {
      const before = structuredClone(p.model.stats);
      const image = await p.load(await Deno.readFile(`${fixtures}/images/${c.image}`));
      await p.caption([image], c.kwargs);
      const after = p.model.stats;
      const vocab = p.model.config.decoder.vocabSize ?? 0;
      const detail = stepBytesDetail(c, vocab, before, after);
      const runs = after.decoderFirstRuns + after.decoderStepRuns - before.decoderFirstRuns -
        before.decoderStepRuns;
      console.error(
        `${model} ${c.name}: bytes per decoder run ${
          after.hostBytesPerStep.slice(-runs).join(", ")
        }`,
      );
      return detail;
    });
  }
  await check(`${model} logits within 1e-3 of Python's`, async () => {
    const g = JSON.parse(
      await Deno.readTextFile(`${fixtures}/goldens/${model}.json`),
    ) as Golden;
    const dl = g.decoder_logits;
    const pv = g.pixel_values[dl.image];
    const { logits } = await p.model.forward({
      pixelValues: { data: Float32Array.from(pv.data), dims: pv.dims },
      decoderInputIds: dl.decoder_input_ids,
    });
    if (JSON.stringify(logits.dims) !== JSON.stringify(dl.logits.dims)) {
      return `dims ${logits.dims} != ${dl.logits.dims}`;
    }
    let worst = 0;
    dl.logits.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - logits.data[i]))));
    return worst <= 1e-3 ? "" : `max |difference| ${worst}`;
  });
}
await check('device "auto" on this adapter', async () => {
  // a software adapter (llvmpipe here) must lose to WASM, with the reason named; a hardware one wins
  const p = await vedge.pipeline("image-to-text", `${fixtures}/models/trocr`, { device: "auto" });
  try {
    const [gpu] = p.backend.report;
    const software = /software one/.test(gpu.reason);
    console.error(`auto: ${p.backend.device}; ${p.backend.report.map((r) => r.reason).join("; ")}`);
    if (gpu.device !== "webgpu") return `the report does not start with webgpu`;
    if (software && p.backend.device !== "wasm") return `auto took a software adapter`;
    if (!software && p.backend.device !== "webgpu") return `auto refused ${gpu.reason}`;
    return "";
  } finally {
    await p.dispose();
  }
});
console.log(JSON.stringify(results));
