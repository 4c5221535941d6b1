/**
 * The Node build's type declarations: TypeScript (from npm) emits .d.ts for mod.ts and what it
 * reaches, without type-checking again (`deno check` does that). Specifiers are made to work for
 * a Node consumer: `./x.ts` becomes `./x.js`, and `npm:name@version` becomes `name`.
 * @module
 */

/**
 * Writes dist/node/mod.d.ts and dist/node/src/**.d.ts.
 * @param repo repository root
 * @param outdir dist/node
 * @param pinned npm versions the source pins (mapped to node_modules for the compiler)
 */
export async function emitDeclarations(
  repo: string,
  outdir: string,
  pinned: Map<string, string>,
): Promise<void> {
  const paths: Record<string, string[]> = {};
  for (const [name, version] of pinned) {
    paths[`npm:${name}@${version}`] = [`./node_modules/${name}`];
    paths[`npm:${name}@${version}/*`] = [`./node_modules/${name}/*`];
  }
  const config = {
    compilerOptions: {
      declaration: true,
      emitDeclarationOnly: true,
      noCheck: true,
      allowImportingTsExtensions: true,
      rewriteRelativeImportExtensions: true,
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      types: [],
      skipLibCheck: true,
      rootDir: ".",
      outDir: outdir,
      paths,
    },
    files: ["mod.ts"],
  };
  const tsconfig = `${repo}/.tsconfig.build.json`;
  await Deno.writeTextFile(tsconfig, JSON.stringify(config));
  try {
    const r = await new Deno.Command("node", {
      args: [`${repo}/node_modules/typescript/lib/tsc.js`, "-p", tsconfig],
      cwd: repo,
    }).output();
    if (!r.success) {
      throw new Error(
        `tsc failed:\n${new TextDecoder().decode(r.stdout)}${new TextDecoder().decode(r.stderr)}`,
      );
    }
  } finally {
    await Deno.remove(tsconfig).catch(() => {});
  }
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".d.ts")) {
        const text = await Deno.readTextFile(path);
        const fixed = text
          .replace(/(["'])(\.{1,2}\/[^"']*)\.ts\1/g, "$1$2.js$1")
          .replace(/(["'])npm:((?:@[^/@"']+\/)?[^/@"']+)@[^/"']+/g, "$1$2");
        if (fixed !== text) await Deno.writeTextFile(path, fixed);
      }
    }
  };
  await walk(outdir);
}
