// The browser demo: pick or drop an image, watch the caption stream token by token (greedy),
// see the backend vedge chose and why. Serve the repository root over HTTP after
// `deno task build browser` and open /examples/web/ (see the README's Browser section).
import { pipeline } from "../../dist/browser/vedge.js";

const $ = (id) => document.getElementById(id);
const FIXTURE = new URL("../../tests/fixtures/models/vit-gpt2", location.href).href;
const params = new URLSearchParams(location.search);
$("model").value = params.get("model") ?? FIXTURE;

let bytes;
const loaded = new Map();

function setImage(file) {
  file.arrayBuffer().then((b) => {
    bytes = new Uint8Array(b);
    $("preview").src = URL.createObjectURL(file);
    $("caption").disabled = false;
    $("status").textContent = `${file.name}, ${bytes.length} bytes`;
  });
}

$("file").addEventListener("change", (e) => e.target.files[0] && setImage(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) setImage(e.dataTransfer.files[0]);
});

function showBackend(backend) {
  const ul = $("backend");
  ul.replaceChildren();
  for (const r of backend.report) {
    const li = document.createElement("li");
    li.textContent = `${r.device}: ${r.accepted ? "chosen" : "rejected"}: ${r.reason}`;
    if (!r.accepted) li.className = "rejected";
    ul.append(li);
  }
}

$("caption").addEventListener("click", async () => {
  const status = $("status");
  delete status.dataset.done;
  $("caption").disabled = true;
  $("text").textContent = "";
  const model = $("model").value.trim();
  const device = $("device").value;
  const beam = $("search").value === "beam4";
  // Threads need cross-origin isolation (COOP + COEP headers); otherwise one thread.
  const numThreads = globalThis.crossOriginIsolated
    ? Math.min(4, navigator.hardwareConcurrency || 1)
    : 1;
  try {
    const key = `${model} ${device}`;
    const t0 = performance.now();
    if (!loaded.has(key)) {
      status.textContent = `Loading ${model} ...`;
      loaded.set(key, pipeline("image-to-text", model, { device, numThreads }));
    }
    const captioner = await loaded.get(key).catch((e) => {
      loaded.delete(key);
      throw e;
    });
    showBackend(captioner.model.backend);
    status.textContent = "Captioning ...";
    const image = await captioner.load(bytes);
    let streamed = "";
    const options = beam
      ? { num_beams: 4, max_new_tokens: 16 }
      : { max_new_tokens: 16, onText: (t) => $("text").textContent = streamed += t };
    const [result] = await captioner.caption([image], options);
    const best = result.sequences[0];
    $("text").textContent = best.text;
    status.textContent = `${beam ? "beam 4" : "greedy"}, ${best.tokenIds.length} tokens ` +
      `[${best.tokenIds.join(", ")}], ${captioner.model.backend.device} with ${numThreads} ` +
      `thread(s), ${Math.round(performance.now() - t0)} ms`;
  } catch (e) {
    status.textContent = `Failed: ${e.message}`;
  } finally {
    status.dataset.done = "1";
    $("caption").disabled = false;
  }
});
