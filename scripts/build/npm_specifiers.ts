/**
 * vedge's source names its npm dependencies with versions (`npm:onnx-proto@8.0.1`), so that it
 * resolves when imported by path from any folder. This file finds those specifiers, checks that
 * each package has one version in the source and that node_modules (installed from package.json
 * by `npm ci`) holds exactly that version, and gives esbuild a plugin that maps them to the
 * installed packages.
 * @module
 */
import type * as Esbuild from "../../node_modules/esbuild/lib/main.d.ts";

/** One `npm:` specifier split into its parts. */
export interface NpmSpecifier {
  /** Package name, e.g. "@jsquash/png". */
  name: string;
  /** Pinned version, e.g. "3.1.1". */
  version: string;
  /** Subpath with its leading slash, or "" (e.g. "/decode.js"). */
  subpath: string;
}

const SPECIFIER = /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)(\/.*)?$/;

/**
 * Splits an `npm:name@version/sub` specifier.
 * @param specifier the import specifier
 * @returns its parts, or undefined when it is not a versioned npm: specifier
 */
export function parseNpmSpecifier(specifier: string): NpmSpecifier | undefined {
  const m = SPECIFIER.exec(specifier);
  return m ? { name: m[1], version: m[2], subpath: m[3] ?? "" } : undefined;
}

/**
 * Every versioned npm: specifier in the TypeScript files under a folder (tests excluded).
 * @param root folder to scan
 * @returns package name -> versions seen -> files
 */
export async function scanNpmSpecifiers(root: string): Promise<Map<string, Map<string, string[]>>> {
  const out = new Map<string, Map<string, string[]>>();
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(path);
        for (const m of text.matchAll(/["'](npm:[^"']+)["']/g)) {
          const s = parseNpmSpecifier(m[1]);
          if (!s) throw new Error(`${path}: npm specifier ${m[1]} has no version`);
          const versions = out.get(s.name) ?? new Map<string, string[]>();
          versions.set(s.version, [...(versions.get(s.version) ?? []), path]);
          out.set(s.name, versions);
        }
      }
    }
  };
  await walk(root);
  return out;
}

/**
 * Checks that the source pins one version per package and node_modules holds it.
 * @param repo repository root
 * @returns package name -> the one pinned version
 */
export async function checkPinnedVersions(repo: string): Promise<Map<string, string>> {
  const pinned = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, versions] of await scanNpmSpecifiers(`${repo}/src`)) {
    if (versions.size > 1) {
      problems.push(
        `${name} is pinned at several versions: ` +
          [...versions].map(([v, files]) => `${v} (${files.join(", ")})`).join("; "),
      );
      continue;
    }
    const version = [...versions.keys()][0];
    pinned.set(name, version);
    let installed: string | undefined;
    try {
      installed = JSON.parse(
        await Deno.readTextFile(`${repo}/node_modules/${name}/package.json`),
      ).version;
    } catch {
      installed = undefined;
    }
    if (installed !== version) {
      problems.push(
        `src pins ${name}@${version} but node_modules has ${installed ?? "nothing"}: ` +
          `set "${name}": "${version}" in package.json's devDependencies and run npm ci`,
      );
    }
  }
  if (problems.length) throw new Error(`Dependency versions disagree:\n  ${problems.join("\n  ")}`);
  return pinned;
}

/** How one target maps a package (or package/subpath) instead of resolving it from npm. */
export type Redirect =
  | { external: string }
  | { file: string };

/**
 * An esbuild plugin: `npm:name@version/sub` resolves to the installed `name/sub` (after checking
 * the version), unless a redirect names an external path or a replacement file for it.
 * @param pinned versions from {@link checkPinnedVersions}
 * @param redirects bare specifier ("onnxruntime-web/webgpu") -> what to use instead
 * @returns the plugin
 */
export function npmSpecifiersPlugin(
  pinned: Map<string, string>,
  redirects: Record<string, Redirect>,
): Esbuild.Plugin {
  return {
    name: "npm-specifiers",
    setup(build) {
      build.onResolve({ filter: /^npm:/ }, async (args) => {
        const s = parseNpmSpecifier(args.path);
        if (!s) return { errors: [{ text: `npm specifier ${args.path} has no version` }] };
        if (pinned.get(s.name) !== s.version) {
          return {
            errors: [{ text: `${args.path}: not the pinned version ${pinned.get(s.name)}` }],
          };
        }
        const bare = s.name + s.subpath;
        const redirect = redirects[bare];
        if (redirect && "external" in redirect) return { path: redirect.external, external: true };
        if (redirect) return { path: redirect.file };
        const r = await build.resolve(bare, { kind: args.kind, resolveDir: args.resolveDir });
        return r.errors.length ? { errors: r.errors } : { path: r.path, external: r.external };
      });
    },
  };
}

/**
 * An esbuild plugin that replaces whole source files (matched by absolute path).
 * @param replacements absolute path -> replacement file
 * @returns the plugin
 */
export function replaceFilesPlugin(replacements: Record<string, string>): Esbuild.Plugin {
  return {
    name: "replace-files",
    setup(build) {
      build.onResolve({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(".")) return undefined;
        const abs = new URL(args.path, `file://${args.resolveDir}/`).pathname;
        const to = replacements[abs];
        return to ? { path: to } : undefined;
      });
    },
  };
}
