/**
 * The error family callers handle. Each carries a stable `code` so it survives a worker boundary
 * (errors cross as `{name, code, message}`); wrong arguments stay TypeError / RangeError.
 * @module
 */

/** Base of vedge's own errors. */
export class VedgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /**
   * Creates the error.
   * @param code stable code, e.g. "MODEL_LOAD"
   * @param message what was attempted, on what, and what was found
   * @param options standard ErrorOptions (cause)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A model file is missing, truncated, malformed or could not be fetched. */
export class ModelLoadError extends VedgeError {
  /**
   * Creates the error.
   * @param message what failed
   * @param options cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super("MODEL_LOAD", message, options);
  }
}

/** The model (or one of its parts) is of a type vedge does not support. */
export class UnsupportedModelError extends VedgeError {
  /**
   * Creates the error.
   * @param message names the unsupported type
   * @param options cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super("UNSUPPORTED_MODEL", message, options);
  }
}

/** No requested backend could be initialised; `reasons` says why, per backend. */
export class BackendUnavailableError extends VedgeError {
  /** Why each candidate backend was rejected. */
  readonly reasons: Record<string, string>;
  /**
   * Creates the error.
   * @param message summary
   * @param reasons per-backend reason
   * @param options cause
   */
  constructor(message: string, reasons: Record<string, string>, options?: ErrorOptions) {
    super("BACKEND_UNAVAILABLE", message, options);
    this.reasons = reasons;
  }
}

/** Image bytes could not be decoded, or the image is refused (too many pixels). */
export class ImageDecodeError extends VedgeError {
  /**
   * Creates the error.
   * @param message what failed
   * @param options cause; `code` may be "IMAGE_TOO_LARGE"
   */
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(options?.code ?? "IMAGE_DECODE", message, options);
  }
}

/** Generation was stopped by an AbortSignal. */
export class AbortError extends VedgeError {
  /**
   * Creates the error.
   * @param message why
   * @param options cause
   */
  constructor(message = "generation aborted", options?: ErrorOptions) {
    super("ABORTED", message, options);
    this.name = "AbortError";
  }
}

/**
 * A Web Worker running part of the model died (it threw outside a request, ran out of memory,
 * or was terminated) while calls were in flight; the next call starts a new one.
 */
export class WorkerDiedError extends VedgeError {
  /**
   * Creates the error.
   * @param message which worker, and why it died
   * @param options cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super("WORKER_DIED", message, options);
  }
}
