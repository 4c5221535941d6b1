/**
 * Run by abort_memory_test.ts in a fresh process (with --expose-gc): the load test
 * through the pipeline. First 16 concurrent mixed calls right after loading (where 5 of 16 were
 * rejected), compared with the same calls run alone; then rounds of 16 concurrent calls with half
 * aborted (AbortSignal.timeout and by hand), memory measured after each round. Prints one JSON
 * line on stdout.
 * @module
 */
import { pipeline } from "../../src/pipeline/image_to_text.ts";
import { imagePath, modelDir } from "../support/goldens.ts";

const ROUNDS = Number(Deno.args[0] ?? 8);
let unhandled = 0;
globalThis.addEventListener("unhandledrejection", (e) => {
  unhandled++;
  e.preventDefault();
});

const captioner = await pipeline("image-to-text", modelDir("vit-gpt2"), { device: "wasm" });
const images = ["probe.png", "probe2.png", "probe.jpg"].map(imagePath);
const options: Record<string, unknown>[] = [
  { max_new_tokens: 12 },
  { max_new_tokens: 12, num_beams: 4 },
  { max_new_tokens: 12, do_sample: true, seed: 7 },
  { max_new_tokens: 12, do_sample: true, seed: 3, num_return_sequences: 3 },
];
const calls = Array.from(
  { length: 16 },
  (_, i) => ({ image: images[i % 3], options: options[i % 4] }),
);

const fresh = await Promise.allSettled(calls.map((c) => captioner(c.image, c.options)));
const solo: string[] = [];
for (const c of calls) solo.push(JSON.stringify(await captioner(c.image, c.options)));
const freshRejected = fresh.filter((r) => r.status === "rejected").length;
const freshEqual =
  fresh.filter((r, i) => r.status === "fulfilled" && JSON.stringify(r.value) === solo[i]).length;

const gc = (globalThis as { gc?: () => void }).gc;
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const results = await Promise.allSettled(calls.map((c, i) => {
    if (i % 2 === 0) return captioner(c.image, c.options);
    // aborted calls: greedy and sampling stopped by hand after 2 pieces of text, beam search
    // and several return sequences (no streamer) by AbortSignal.timeout(5); all made long
    const base = options[(i >> 1) % 4];
    const long = { ...base, max_new_tokens: 60, min_new_tokens: 60 };
    if (base.num_beams || base.num_return_sequences) {
      return captioner(c.image, { ...long, signal: AbortSignal.timeout(5) });
    }
    const ac = new AbortController();
    let texts = 0;
    const onText = (): void => void (++texts === 2 && ac.abort());
    return captioner(c.image, { ...long, signal: ac.signal, onText });
  }));
  const abortErrors = results.filter((r) =>
    r.status === "rejected" && (r.reason as Error).name === "AbortError"
  ).length;
  const otherErrors = results.filter((r) =>
    r.status === "rejected" && (r.reason as Error).name !== "AbortError"
  ).map((r) => String((r as PromiseRejectedResult).reason));
  const keptEqual = results.filter((r, i) =>
    i % 2 === 0 && r.status === "fulfilled" && JSON.stringify(r.value) === solo[i]
  ).length;
  for (let i = 0; i < 3; i++) {
    await new Promise((r) =>
      setTimeout(r, 10)
    );
  }
  gc?.();
  const m = Deno.memoryUsage();
  rounds.push({
    abortErrors,
    otherErrors,
    keptEqual,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
  });
}
await captioner.dispose();
for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 10));
console.log(JSON.stringify({ freshRejected, freshEqual, gc: gc !== undefined, rounds, unhandled }));
