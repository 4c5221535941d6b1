/**
 * Progress on stderr for the CLI: one line that downloads (bytes, rate) and batches (images done
 * of total, tokens per second) update. On a terminal the line is redrawn in place (`\r`, clear to
 * the end of the line); elsewhere (`--progress` into a file or pipe) each update is a line of its
 * own, without carriage returns. Updates are throttled; the last one of a download or of the
 * batches is always written. Nothing here decides whether progress is on: see
 * {@link progressEnabled}.
 * @module
 */
import { formatBytes } from "../config/generation_limits.ts";

/** A download progress event, as src/hub's `onProgress` reports it. */
export interface DownloadEvent {
  /** Hub-relative file name. */
  file: string;
  /** Bytes received so far. */
  loaded: number;
  /** Expected size, when the server said. */
  total: number | undefined;
}

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  /** Redraw one line in place (a terminal) or write a line per update. */
  tty: boolean;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
  /** Least time between two throttled updates, ms (default 100 on a terminal, 1000 elsewhere). */
  intervalMs?: number;
}

/**
 * Whether progress is shown: `--progress` forces it, `--quiet` turns it off, else only when
 * stderr is a terminal.
 * @param flags the parsed `quiet` and `progress` flags
 * @param stderrIsTty whether stderr is a terminal
 * @returns true when progress is shown
 */
export function progressEnabled(
  flags: { quiet?: unknown; progress?: unknown },
  stderrIsTty: boolean,
): boolean {
  if (flags.progress) return true;
  if (flags.quiet) return false;
  return stderrIsTty;
}

/** The one progress line, and messages written around it. */
export class ProgressLine {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #interval: number;
  #last = -Infinity;
  #showing = false;

  /**
   * @param write writes text to stderr as is
   * @param options terminal or not, clock, throttle interval
   */
  constructor(write: (text: string) => void, options: ProgressLineOptions) {
    this.#write = write;
    this.#tty = options.tty;
    this.#now = options.now ?? (() => performance.now());
    this.#interval = options.intervalMs ?? (options.tty ? 100 : 1000);
  }

  /**
   * Shows `text` as the progress line, unless the last update was under the interval ago.
   * @param text one line, no newline
   * @param force write even when throttled (a final update)
   * @returns whether it was written
   */
  update(text: string, force = false): boolean {
    const t = this.#now();
    if (!force && t - this.#last < this.#interval) return false;
    this.#last = t;
    if (this.#tty) {
      this.#write(`\r${text}\x1b[K`);
      this.#showing = true;
    } else this.#write(`${text}\n`);
    return true;
  }

  /**
   * Writes a message line (an error, a --verbose line) without mixing it into the progress line.
   * @param text one or more lines, no trailing newline
   */
  log(text: string): void {
    this.clear();
    this.#write(`${text}\n`);
  }

  /** Takes the line off a terminal (before results go to a stdout that shares it). */
  clear(): void {
    if (this.#showing) this.#write("\r\x1b[K");
    this.#showing = false;
  }

  /** Ends the progress line (a terminal keeps the last state on its own line). */
  end(): void {
    if (this.#showing) this.#write("\n");
    this.#showing = false;
  }
}

/**
 * A renderer for download progress: `downloading onnx/encoder_model.onnx: 12.0 MiB of 85.0 MiB
 * (14%), 4.0 MiB/s`. The rate is over the file's download so far.
 * @param line the progress line
 * @param now clock in ms (default `performance.now`)
 * @returns the `onProgress` callback
 */
export function downloadProgress(
  line: ProgressLine,
  now: () => number = () => performance.now(),
): (event: DownloadEvent) => void {
  const started = new Map<string, number>();
  return ({ file, loaded, total }) => {
    const t = now();
    if (!started.has(file)) started.set(file, t);
    const seconds = (t - started.get(file)!) / 1000;
    const of = total !== undefined ? ` of ${formatBytes(total)} (${percent(loaded, total)})` : "";
    const rate = seconds > 0 ? `, ${formatBytes(loaded / seconds)}/s` : "";
    const done = total !== undefined && loaded >= total;
    line.update(`downloading ${file}: ${formatBytes(loaded)}${of}${rate}`, done);
  };
}

function percent(loaded: number, total: number): string {
  return total > 0 ? `${Math.floor((loaded / total) * 100)}%` : "100%";
}

/** Progress of captioning: {@link BatchProgress.done} after each batch. */
export class BatchProgress {
  readonly #line: ProgressLine;
  readonly #total: number;
  #images = 0;
  #failed = 0;
  #tokens = 0;
  #ms = 0;

  /**
   * @param line the progress line
   * @param total images given
   */
  constructor(line: ProgressLine, total: number) {
    this.#line = line;
    this.#total = total;
  }

  /** Shows the starting state (`0/20 images`). */
  start(): void {
    this.#line.update(`0/${this.#total} images`, true);
  }

  /**
   * Counts one batch and shows `12/20 images (1 failed), 35.2 tokens/s`.
   * @param images images of the batch, captioned or failed
   * @param failed of which failed
   * @param tokens new tokens generated for the batch
   * @param ms time the batch's generation took
   */
  done(images: number, failed: number, tokens: number, ms: number): void {
    this.#images += images;
    this.#failed += failed;
    this.#tokens += tokens;
    this.#ms += ms;
    const bad = this.#failed ? ` (${this.#failed} failed)` : "";
    const rate = this.#ms > 0 ? `, ${(this.#tokens / (this.#ms / 1000)).toFixed(1)} tokens/s` : "";
    // batches are few and slow: every one is shown (only download bytes are throttled)
    this.#line.update(`${this.#images}/${this.#total} images${bad}${rate}`, true);
  }
}
