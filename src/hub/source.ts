/**
 * How a model source string is classified, and the checks on Hub ids and file paths.
 *
 * Rules, in order:
 * 1. A `URL` object, or a string starting with `http://`, `https://` or `file:`, is a URL:
 *    http(s) is a base URL, file: a local folder; other schemes are a TypeError.
 * 2. An existing path wins: if the string names an existing folder, it is that folder (an
 *    existing file is a ModelLoadError: a model is a folder).
 * 3. A string that looks like a path (`.`, `..`, starts with `./`, `../`, `/`, `~`, `\`, or a
 *    Windows drive such as `C:\`) is a local folder, even when missing (loading then says so).
 * 4. Otherwise it must be a valid Hub id, `name` or `org/name` (huggingface_hub's rules: letters,
 *    digits, `_`, `-`, `.`; starts and ends with a letter, digit or `_`; no `--` or `..`; no
 *    `.git` suffix; at most 96 characters per part); anything else is a TypeError.
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import { PermissionDeniedError, type Platform } from "../platform/platform.ts";

/** Where a model's files come from. */
export type ModelSource =
  | { readonly kind: "folder"; readonly path: string }
  | { readonly kind: "url"; readonly base: string }
  | { readonly kind: "hub"; readonly id: string };

const PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;

/**
 * Whether a string is a valid Hub repository id (`name` or `org/name`).
 * @param id candidate id
 * @returns true when valid
 */
export function isHubId(id: string): boolean {
  const parts = id.split("/");
  if (parts.length > 2 || !parts.every((p) => PART.test(p))) return false;
  return !id.includes("--") && !id.includes("..") && !id.endsWith(".git");
}

/**
 * Checks a Hub-relative file path (`config.json`, `onnx/encoder_model.onnx`): relative, `/`
 * separated, no empty, `.` or `..` segments, no backslashes. This also keeps cache paths inside
 * the cache folder.
 * @param path the path to check
 * @returns the path, unchanged
 */
export function checkFilePath(path: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`Expected a model file path such as "config.json", got ${String(path)}`);
  }
  const segs = path.split("/");
  if (path.includes("\\") || segs.some((s) => s === "" || s === "." || s === "..")) {
    throw new TypeError(
      `Invalid model file path "${path}": use a relative, "/"-separated path without "." or ".."`,
    );
  }
  return path;
}

const PATH_LIKE = /^(?:\.{1,2}$|\.{1,2}[\\/]|[\\/~]|[A-Za-z]:[\\/])/;

/**
 * Classifies a model source (see the module documentation for the rules).
 * @param source a folder path, file:/http(s) URL, or Hub id
 * @param platform used to see whether a path exists
 * @returns the classified source
 */
export async function classifySource(
  source: string | URL,
  platform: Platform,
): Promise<ModelSource> {
  if (source instanceof URL) return fromUrl(source, platform);
  if (typeof source !== "string" || source.trim() === "") {
    throw new TypeError(`Expected a model source (folder, URL or Hub id), got "${String(source)}"`);
  }
  if (/^(?:https?:\/\/|file:)/i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch (e) {
      throw new TypeError(`Invalid model URL "${source}": ${(e as Error).message}`, { cause: e });
    }
    return fromUrl(url, platform);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(source)) {
    throw new TypeError(
      `Unsupported model URL scheme in "${source}": use http(s), file, or a path`,
    );
  }
  const pathLike = PATH_LIKE.test(source);
  if (platform.hasFileSystem) {
    let info;
    try {
      info = await platform.stat(source);
    } catch (e) {
      // Without read permission a Hub id still works; a path cannot.
      if (!(e instanceof PermissionDeniedError) || pathLike || !isHubId(source)) throw e;
    }
    if (info?.isDirectory) return { kind: "folder", path: platform.resolvePath(source) };
    if (info?.isFile) {
      throw new ModelLoadError(
        `Cannot load a model from ${source}: it is a file; give the folder that holds config.json`,
      );
    }
  }
  if (pathLike) return folder(source, platform);
  if (isHubId(source)) return { kind: "hub", id: source };
  throw new TypeError(
    `Cannot classify model source "${source}": it is not an existing folder, an http(s) or file: ` +
      `URL, or a valid Hub id ("org/name" or "name")`,
  );
}

function fromUrl(url: URL, platform: Platform): ModelSource {
  if (url.protocol === "http:" || url.protocol === "https:") {
    return { kind: "url", base: url.href.replace(/\/+$/, "") };
  }
  if (url.protocol === "file:") return folder(platform.pathFromFileUrl(url), platform);
  throw new TypeError(`Unsupported model URL scheme in ${url.href}: use http(s), file, or a path`);
}

function folder(path: string, platform: Platform): ModelSource {
  if (!platform.hasFileSystem) {
    throw new ModelLoadError(
      `Cannot load a model from the folder ${path}: the ${platform.name} platform has no file ` +
        `system; give an http(s) URL or a Hub id`,
    );
  }
  return { kind: "folder", path: platform.resolvePath(path) };
}
