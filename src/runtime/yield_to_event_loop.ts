/**
 * A macrotask boundary: resolves after the event loop has had a turn, so timers (setInterval,
 * `AbortSignal.timeout`), I/O callbacks and messages run between two pieces of onnxruntime work,
 * which otherwise keeps the calling thread for a whole caption. A resolved promise (a microtask)
 * is not enough: microtasks run before any timer.
 *
 * Chosen by capability, on first use: `scheduler.yield()` (browsers that have it), else
 * `setImmediate` (Deno, Node, Bun: about 0.08 ms in Deno, timers fire), else a fresh
 * MessageChannel per yield (other browsers and workers; a channel reused across yields does not
 * let Deno's timers run), else `setTimeout(0)` (about 2.4 ms in Deno: the last resort).
 * @module
 */

type Yielder = () => Promise<void>;

let chosen: Yielder | null = null;

function choose(): Yielder {
  const g = globalThis as {
    scheduler?: { yield?: () => Promise<void> };
    setImmediate?: (f: () => void) => unknown;
  };
  const scheduler = g.scheduler;
  if (typeof scheduler?.yield === "function") return () => scheduler.yield!();
  const setImmediate = g.setImmediate;
  if (typeof setImmediate === "function") {
    return () => new Promise<void>((resolve) => void setImmediate(resolve));
  }
  if (typeof MessageChannel === "function") {
    return () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          channel.port1.close();
          channel.port2.close();
          resolve();
        };
        channel.port2.postMessage(null);
      });
  }
  return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * Lets the event loop run timers and other tasks, then resolves.
 * @returns a promise that resolves in a later task
 * @example
 * ```ts
 * import { yieldToEventLoop } from "./yield_to_event_loop.ts";
 * let fired = false;
 * setTimeout(() => (fired = true), 0);
 * while (!fired) await yieldToEventLoop();
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  chosen ??= choose();
  return chosen();
}
