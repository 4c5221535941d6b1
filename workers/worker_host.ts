/**
 * The loop every vedge worker runs: read requests, run each through the role's handler with its
 * own AbortController, answer it by id with its result or its error, and abort it on `cancel`.
 * No model logic here: the handlers call src/model/model_parts.ts.
 * @module
 */
import { parentPort } from "../src/platform/worker_port.ts";
import { toWireError, transfersOf, type WorkerRequest, type WorkerResponse } from "./protocol.ts";

/** Sends a progress message for the request being handled. */
export type Progress = (tokens: number[]) => void;

/**
 * Handles one request (never `cancel`, which the loop handles).
 * @param request the request
 * @param signal fires when the main thread cancels it
 * @param progress sends progress for it
 * @returns the response (its tensors are transferred)
 */
export type Handler = (
  request: Exclude<WorkerRequest, { type: "cancel" }>,
  signal: AbortSignal,
  progress: Progress,
) => Promise<WorkerResponse>;

/**
 * Serves requests until the worker is terminated.
 * @param handle the role's handler
 * @returns once listening
 */
export async function serveRequests(handle: Handler): Promise<void> {
  const port = await parentPort();
  const running = new Map<number, AbortController>();
  const send = (m: WorkerResponse): void => port.post(m, transfersOf(m));
  port.listen((data) => {
    const request = data as WorkerRequest;
    if (request.type === "cancel") {
      running.get(request.id)?.abort(new DOMException("cancelled by the caller", "AbortError"));
      return;
    }
    const controller = new AbortController();
    running.set(request.id, controller);
    const progress: Progress = (tokens) => send({ type: "progress", id: request.id, tokens });
    handle(request, controller.signal, progress)
      .then(send, (e) => send({ type: "error", id: request.id, error: toWireError(e) }))
      .finally(() => running.delete(request.id));
  });
  send({ type: "listening", id: 0 });
}
