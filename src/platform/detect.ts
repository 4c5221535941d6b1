/**
 * Picks the platform adapter by what the host offers, once, when asked (never at import time):
 * Deno's APIs, else Node's, else the Cache API.
 * @module
 */
import { createDenoPlatform, hasDenoApis } from "./deno.ts";
import { createNodePlatform, hasNodeApis } from "./node.ts";
import type { Platform } from "./platform.ts";
import { createWebPlatform, hasCacheApi, type WebPlatformOptions } from "./web.ts";

/**
 * Creates the adapter this host supports. Deno is checked first because Deno also exposes a
 * Node-compatible `process`.
 * @param web options for the web adapter, used only when neither Deno nor Node APIs exist
 * @returns the adapter
 */
export async function detectPlatform(web: WebPlatformOptions = {}): Promise<Platform> {
  if (hasDenoApis()) return createDenoPlatform();
  if (hasNodeApis()) {
    try {
      return await createNodePlatform();
    } catch {
      // A host that imitates `process` without node:fs (some bundlers, Workers without
      // nodejs_compat) falls through to the web adapter.
    }
  }
  if (hasCacheApi() || web.caches) return createWebPlatform(web);
  throw new Error(
    "Cannot find a platform adapter: this host has neither Deno, Node (node:fs) nor the Cache API",
  );
}
