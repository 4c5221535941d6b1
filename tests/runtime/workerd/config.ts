/**
 * The workerd configuration the matrix serves dist/workerd with: one Worker per fixture model
 * (the `VEDGE_MODEL` binding points at the matrix's file server), each with worker.js as an ES
 * module and the three .wasm files as wasm modules, and an `internet` service allowed to reach
 * loopback addresses (workerd refuses private and local addresses by default).
 * @module
 */

/** One Worker of the configuration. */
export interface WorkerdService {
  /** Service and socket name. */
  name: string;
  /** Port to listen on (127.0.0.1). */
  port: number;
  /** The VEDGE_MODEL binding. */
  model: string;
}

/**
 * Writes the workerd config text.
 * @param dist path of dist/workerd relative to the config file (embeds are relative to it)
 * @param services one Worker per entry (names in camelCase, as Cap'n Proto wants)
 * @returns the Cap'n Proto config
 */
export function workerdConfig(dist: string, services: WorkerdService[]): string {
  const modules = [
    `(name = "worker.js", esModule = embed "${dist}/worker.js")`,
    ...["ort-wasm-simd-threaded.wasm", "mozjpeg_dec.wasm", "squoosh_png_bg.wasm"].map((f) =>
      `(name = "${f}", wasm = embed "${dist}/${f}")`
    ),
  ].join(",\n      ");
  const workers = services.map((s) => `
const ${s.name} :Workerd.Worker = (
  modules = [
      ${modules}
  ],
  compatibilityDate = "2026-04-01",
  bindings = [(name = "VEDGE_MODEL", text = "${s.model}")],
  globalOutbound = "internet",
);`).join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${services.map((s) => `(name = "${s.name}", worker = .${s.name}),`).join("\n    ")}
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    ${
    services.map((s) =>
      `(name = "${s.name}", address = "127.0.0.1:${s.port}", http = (), service = "${s.name}"),`
    ).join("\n    ")
  }
  ],
);
${workers}
`;
}
