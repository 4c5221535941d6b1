/**
 * The bundle-size table: each file of a dist folder, raw and gzip, with the total against
 * Cloudflare Workers' limits (a Worker's modules together: 3 MiB gzip on the free plan,
 * 10 MiB on paid plans; 64 MiB raw) for the workerd build.
 * @module
 */
import { gzipSync } from "node:zlib";

const MIB = 1024 * 1024;

/**
 * Formats the sizes of the files in a folder.
 * @param dir a dist/<target> folder
 * @param target which build, for the heading and the limits
 * @returns a Markdown table
 */
export async function sizeTable(dir: string, target: string): Promise<string> {
  const rows: [string, number, number][] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) continue;
    const bytes = await Deno.readFile(`${dir}/${e.name}`);
    rows.push([e.name, bytes.length, gzipSync(bytes, { level: 9 }).length]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const mb = (n: number): string => `${(n / MIB).toFixed(2)} MiB`;
  const lines = [`| dist/${target} | raw | gzip |`, "| --- | ---: | ---: |"];
  for (const [name, raw, gz] of rows) lines.push(`| ${name} | ${mb(raw)} | ${mb(gz)} |`);
  const raw = rows.reduce((s, r) => s + r[1], 0);
  const gz = rows.reduce((s, r) => s + r[2], 0);
  lines.push(`| total | ${mb(raw)} | ${mb(gz)} |`);
  if (target === "workerd") {
    // worker.js and vedge.js are alternatives: a deployment uploads one of them.
    const lib = rows.find((r) => r[0] === "vedge.js");
    const deployed = lib ? [raw - lib[1], gz - lib[2]] : [raw, gz];
    lines.push(
      "",
      `Deployed Worker (worker.js + .wasm): ${mb(deployed[0])} raw, ${mb(deployed[1])} gzip; ` +
        `Cloudflare limits: 3 MiB gzip (free plan) ${deployed[1] <= 3 * MIB ? "fits" : "OVER"}, ` +
        `10 MiB gzip (paid) ${deployed[1] <= 10 * MIB ? "fits" : "OVER"}, ` +
        `64 MiB raw ${deployed[0] <= 64 * MIB ? "fits" : "OVER"}.`,
    );
  }
  return lines.join("\n");
}
