/**
 * The browser and workerd builds' `src/platform/node.ts`: these hosts have no node:fs, so the
 * Node adapter is left out (and with it every `node:` import).
 * @module
 */
import type { Platform } from "../../../src/platform/platform.ts";

/**
 * Never true in these builds.
 * @returns false
 */
export function hasNodeApis(): boolean {
  return false;
}

/**
 * Not available in these builds.
 * @returns never; always rejects
 */
export function createNodePlatform(): Promise<Platform> {
  return Promise.reject(new Error("this build of vedge has no Node adapter (node:fs)"));
}
