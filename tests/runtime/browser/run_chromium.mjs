// Drives the system Chromium (Debian `chromium`) headless with playwright-core for the matrix's
// browser rows and the demo check. Usage:
//   node run_chromium.mjs <server origin> <out folder> <row...>
//   rows: page, worker, page-webgpu, worker-webgpu (WebGPU forced: SwiftShader), demo
// Prints one JSON line per row: {row, results | error, ms, consoleErrors, failedRequests}.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [origin, outDir, ...rows] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const userDataDir = `${outDir}/chromium-profile`;
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--enable-unsafe-webgpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
  ],
  viewport: { width: 900, height: 760 },
});
const TIMEOUT = 300_000;

async function open(path) {
  const page = await context.newPage();
  const consoleErrors = [];
  const failedRequests = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on(
    "response",
    (r) =>
      r.status() >= 400 && failedRequests.push(`${r.status()} ${r.request().method()} ${r.url()}`),
  );
  page.on(
    "requestfailed",
    (r) => failedRequests.push(`failed ${r.method()} ${r.url()}: ${r.failure()?.errorText}`),
  );
  await page.goto(origin + path);
  return { page, consoleErrors, failedRequests };
}

for (const row of rows) {
  const t0 = Date.now();
  const out = { row };
  try {
    if (row === "demo") {
      const { page, consoleErrors, failedRequests } = await open("/examples/web/index.html");
      await page.setInputFiles("#file", process.env.DEMO_IMAGE);
      await page.waitForFunction(() => !document.getElementById("caption").disabled);
      await page.selectOption("#device", "wasm");
      await page.click("#caption");
      await page.waitForSelector("#status[data-done]", { timeout: TIMEOUT });
      out.text = await page.textContent("#text");
      out.status = await page.textContent("#status");
      out.backend = await page.textContent("#backend");
      out.screenshot = `${outDir}/demo.png`;
      await page.screenshot({ path: out.screenshot, fullPage: true });
      Object.assign(out, { consoleErrors, failedRequests });
      await page.close();
    } else {
      // rows: page, worker, page-webgpu, worker-webgpu
      const [mode, device = "wasm"] = row.split("-");
      const { page, consoleErrors, failedRequests } = await open(
        `/tests/runtime/browser/index.html?mode=${mode}&device=${device}`,
      );
      await page.waitForFunction(() => globalThis.__matrix !== undefined, null, {
        timeout: TIMEOUT,
      });
      Object.assign(out, await page.evaluate(() => globalThis.__matrix));
      Object.assign(out, { consoleErrors, failedRequests });
      await page.close();
    }
  } catch (e) {
    out.error = String(e?.message ?? e).split("\n")[0];
  }
  out.ms = Date.now() - t0;
  console.log(JSON.stringify(out));
}
await context.close();
