/**
 * `deno task build [node|browser|workerd ...]`: bundles vedge with esbuild (from npm, installed
 * by `npm ci`) into dist/:
 * - dist/node/     mod.js (ESM, Node 20+) + mod.d.ts; onnxruntime-web's Node build bundled, its
 *                  glue and .wasm and the codecs' .wasm beside it (read with node:fs).
 * - dist/browser/  vedge.js (ESM, no node: imports); onnxruntime-web's own browser bundles
 *                  (WASM and WebGPU) beside it, loaded lazily by relative URL, with their .wasm
 *                  and the codecs' .wasm, all found from `import.meta.url`.
 * - dist/workerd/  worker.js (the example Cloudflare Worker, vedge inside) and vedge.js (the
 *                  library alone), the .wasm files imported as wasm modules, one thread.
 * Prints a size table (raw and gzip) against Cloudflare's limits.
 * @module
 */
import { createRequire } from "node:module";
import type * as Esbuild from "../../node_modules/esbuild/lib/main.d.ts";
import {
  checkPinnedVersions,
  npmSpecifiersPlugin,
  type Redirect,
  replaceFilesPlugin,
} from "./npm_specifiers.ts";
import { emitDeclarations } from "./declarations.ts";
import { sizeTable } from "./sizes.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const SHIMS = `${REPO}/scripts/build/shims`;
const ORT_DIST = `${REPO}/node_modules/onnxruntime-web/dist`;
const CODEC_WASM = [
  `${REPO}/node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm`,
  `${REPO}/node_modules/@jsquash/png/codec/pkg/squoosh_png_bg.wasm`,
];

/** The build targets. */
export type Target = "node" | "browser" | "workerd";
const TARGETS: Target[] = ["node", "browser", "workerd"];

const esbuild = createRequire(import.meta.url)("esbuild") as typeof Esbuild;

/** What differs between targets. */
interface TargetPlan {
  entries: Record<string, string>;
  options: Esbuild.BuildOptions;
  redirects: Record<string, Redirect>;
  replacements: Record<string, string>;
  copies: string[];
}

function plan(target: Target): TargetPlan {
  const nodePlatform = `${REPO}/src/platform/node.ts`;
  const codecWasm = `${REPO}/src/image/codec_wasm.ts`;
  if (target === "node") {
    return {
      entries: { mod: `${REPO}/mod.ts` },
      options: {
        platform: "node",
        target: "node20",
        // Bundled CommonJS (protobufjs) may call require() for Node built-ins.
        banner: {
          js: 'import { createRequire as __vedgeRequire } from "node:module";\n' +
            "const require = __vedgeRequire(import.meta.url);",
        },
      },
      redirects: { "onnxruntime-web/webgpu": { file: `${SHIMS}/no_webgpu.ts` } },
      replacements: { [codecWasm]: `${SHIMS}/codec_wasm_node.ts` },
      copies: [
        `${ORT_DIST}/ort-wasm-simd-threaded.mjs`,
        `${ORT_DIST}/ort-wasm-simd-threaded.wasm`,
        ...CODEC_WASM,
      ],
    };
  }
  if (target === "browser") {
    return {
      entries: { vedge: `${REPO}/mod.ts` },
      options: { platform: "browser", target: "es2022", minify: true },
      // onnxruntime-web's own bundles stay separate files: they find their .wasm, and start
      // their thread workers, from their own import.meta.url.
      redirects: {
        "onnxruntime-web": { external: "./ort.wasm.bundle.min.mjs" },
        "onnxruntime-web/webgpu": { external: "./ort.webgpu.bundle.min.mjs" },
      },
      replacements: { [nodePlatform]: `${SHIMS}/no_node_platform.ts` },
      copies: [
        `${ORT_DIST}/ort.wasm.bundle.min.mjs`,
        `${ORT_DIST}/ort-wasm-simd-threaded.wasm`,
        `${ORT_DIST}/ort.webgpu.bundle.min.mjs`,
        `${ORT_DIST}/ort-wasm-simd-threaded.asyncify.wasm`,
        ...CODEC_WASM,
      ],
    };
  }
  return {
    entries: {
      vedge: `${REPO}/mod.ts`,
      worker: `${REPO}/examples/workerd/worker.ts`,
    },
    options: {
      platform: "browser",
      target: "es2022",
      minify: true,
      conditions: ["workerd", "worker", "browser"],
      external: ["*.wasm"],
    },
    redirects: {
      "onnxruntime-web": { file: `${SHIMS}/ort_workerd.ts` },
      "onnxruntime-web/webgpu": { file: `${SHIMS}/no_webgpu.ts` },
    },
    replacements: {
      [nodePlatform]: `${SHIMS}/no_node_platform.ts`,
      [codecWasm]: `${SHIMS}/codec_wasm_workerd.ts`,
    },
    copies: [`${ORT_DIST}/ort-wasm-simd-threaded.wasm`, ...CODEC_WASM],
  };
}

/**
 * Builds one target into dist/<target>/.
 * @param target which build
 * @param pinned npm versions the source pins
 * @returns the output folder
 */
export async function buildTarget(target: Target, pinned: Map<string, string>): Promise<string> {
  const p = plan(target);
  const outdir = `${REPO}/dist/${target}`;
  await Deno.remove(outdir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: p.entries,
    outdir,
    bundle: true,
    format: "esm",
    splitting: false,
    outExtension: { ".js": ".js" },
    logLevel: "warning",
    legalComments: "none",
    ...p.options,
    plugins: [replaceFilesPlugin(p.replacements), npmSpecifiersPlugin(pinned, p.redirects)],
  });
  for (const file of p.copies) {
    await Deno.copyFile(file, `${outdir}/${file.slice(file.lastIndexOf("/") + 1)}`);
  }
  if (target === "node") await emitDeclarations(REPO, outdir, pinned);
  return outdir;
}

if (import.meta.main) {
  const asked = Deno.args.length ? Deno.args : TARGETS;
  for (const t of asked) {
    if (!TARGETS.includes(t as Target)) {
      console.error(`Unknown build target "${t}": use ${TARGETS.join(", ")}`);
      Deno.exit(2);
    }
  }
  const pinned = await checkPinnedVersions(REPO);
  for (const t of asked as Target[]) {
    const t0 = performance.now();
    const out = await buildTarget(t, pinned);
    console.error(`built dist/${t} in ${Math.round(performance.now() - t0)} ms`);
    if (t !== "node") console.log(await sizeTable(out, t));
  }
  esbuild.stop();
}
