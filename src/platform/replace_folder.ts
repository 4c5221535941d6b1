/**
 * Writes a folder whole or not at all: its content is made in a temporary sibling folder
 * (`<dir>.<random>.tmp`, same file system, so renames are atomic), which is renamed into place
 * only when complete. A failure removes the temporary folder and leaves `dir` as it was.
 *
 * An existing `dir` is replaced, as Python's `save_pretrained` overwrites its folder: entries
 * the caller lets through `carryOver` (files the new content does not own: a README, `.git`)
 * are moved into the new folder first, then the old folder is moved aside, the new one renamed
 * in, and the old one removed. `dir` is missing only between those two renames. A symbolic
 * link to a folder is written through (its target is replaced, the link kept).
 * @module
 */
import { type Platform, tempSuffix } from "./platform.ts";

/** Options of {@link replaceFolder}. */
export interface ReplaceFolderOptions {
  /** Whether an entry (a top-level name) of an existing folder moves into the new one. */
  carryOver?: (name: string) => boolean;
}

/**
 * Fills a fresh temporary folder, then puts it in place of `dir`.
 * @param platform file access (rename, readDir, realPath, remove)
 * @param dir the destination folder
 * @param fill writes the content into the folder it is given
 * @param options which entries of an existing `dir` to keep
 * @returns what `fill` returned
 * @example
 * ```ts ignore
 * await replaceFolder(platform, "./out", async (tmp) => {
 *   await platform.writeFileAtomic(platform.joinPath(tmp, "config.json"), bytes);
 * });
 * ```
 */
export async function replaceFolder<T>(
  platform: Platform,
  dir: string,
  fill: (tmp: string) => Promise<T>,
  options: ReplaceFolderOptions = {},
): Promise<T> {
  let target = platform.resolvePath(dir);
  const info = await platform.stat(target);
  if (info !== undefined && !info.isDirectory) {
    throw new Error(`Cannot write the folder ${dir}: ${target} exists and is not a folder`);
  }
  if (info !== undefined) target = await platform.realPath(target);
  const cwd = platform.resolvePath(".");
  const sep = target.includes("\\") && !target.includes("/") ? "\\" : "/";
  const parentLess = target.replace(/[\\/]+$/, "");
  if (parentLess === "" || /^[a-zA-Z]:$/.test(parentLess)) {
    throw new Error(`Cannot write the folder ${dir}: it is a file system root`);
  }
  if (info !== undefined && (cwd === target || cwd.startsWith(target + sep))) {
    throw new Error(
      `Cannot replace the folder ${dir}: it holds the current folder; write elsewhere`,
    );
  }
  const tmp = `${target}${tempSuffix()}`;
  await platform.mkdirp(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (e) {
    await platform.remove(tmp).catch(() => {});
    throw e;
  }
  if (info === undefined) {
    try {
      await platform.rename(tmp, target);
    } catch (e) {
      await platform.remove(tmp).catch(() => {});
      throw e;
    }
    return result;
  }
  const carried: string[] = [];
  const old = `${target}${tempSuffix().replace(/\.tmp$/, ".old")}`;
  let aside = false;
  try {
    for (const name of await platform.readDir(target)) {
      if (!(options.carryOver?.(name) ?? false)) continue;
      if (await platform.exists(platform.joinPath(tmp, name))) continue;
      await platform.rename(platform.joinPath(target, name), platform.joinPath(tmp, name));
      carried.push(name);
    }
    await platform.rename(target, old);
    aside = true;
    await platform.rename(tmp, target);
  } catch (e) {
    // Put everything back as it was.
    if (aside) await platform.rename(old, target).catch(() => {});
    for (const name of carried) {
      await platform.rename(platform.joinPath(tmp, name), platform.joinPath(target, name))
        .catch(() => {});
    }
    await platform.remove(tmp).catch(() => {});
    throw e;
  }
  await platform.remove(old).catch(() => {});
  return result;
}
