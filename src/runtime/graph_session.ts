/**
 * One ONNX graph loaded into onnxruntime-web, with what vedge needs around it: clear load errors,
 * input metadata, a run counter (tests prove the encoder and cross-attention graphs run once per
 * image), and per-session ordering of runs (WebGPU sessions must not overlap; different sessions
 * still run concurrently: there is no global queue).
 * @module
 */
import { ModelLoadError } from "../errors.ts";
import type { Backend } from "./backend.ts";
import type { OrtSession, OrtTensor } from "./ort.ts";

/** Static facts of one graph input. */
export interface InputInfo {
  name: string;
  type: string;
  /** Dimensions: numbers where fixed, names where symbolic. */
  shape: (number | string)[];
}

/** Options for loading a graph. */
export interface GraphSessionOptions {
  /** Keep outputs on the GPU (WebGPU only). */
  outputsOnGpu?: boolean;
}

/** A loaded graph. */
export class GraphSession {
  /** Name for messages and statistics, e.g. "onnx/encoder_model.onnx". */
  readonly name: string;
  /** Number of completed runs. */
  runs = 0;
  readonly #session: OrtSession;
  readonly #backend: Backend;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(name: string, session: OrtSession, backend: Backend) {
    this.name = name;
    this.#session = session;
    this.#backend = backend;
  }

  /**
   * Loads a graph from its bytes.
   * @param backend the chosen backend
   * @param bytes the ONNX model
   * @param name file name and source for messages
   * @param options output placement
   * @returns the session
   */
  static async create(
    backend: Backend,
    bytes: Uint8Array,
    name: string,
    options: GraphSessionOptions = {},
  ): Promise<GraphSession> {
    if (bytes.byteLength < 16) {
      throw new ModelLoadError(
        `Cannot load ${name}: file is ${bytes.byteLength} bytes, not an ONNX model`,
      );
    }
    try {
      const session = await backend.ort.InferenceSession.create(bytes, {
        executionProviders: backend.executionProviders,
        graphOptimizationLevel: "all",
        ...(options.outputsOnGpu && backend.device === "webgpu"
          ? { preferredOutputLocation: "gpu-buffer" as const }
          : {}),
      });
      return new GraphSession(name, session, backend);
    } catch (e) {
      const msg = String((e as Error).message ?? e).split("\n")[0];
      throw new ModelLoadError(
        `Cannot load ${name}: onnxruntime could not create a session (${msg}); the file is ${bytes.byteLength} bytes, truncated or not an ONNX model?`,
        { cause: e },
      );
    }
  }

  /** Which backend runs this graph. */
  get backend(): Backend {
    return this.#backend;
  }

  /** Graph input names, in graph order. */
  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Graph output names, in graph order. */
  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Static metadata of every input.
   * @returns name, element type and shape of each input
   */
  inputs(): InputInfo[] {
    return this.#session.inputMetadata.map((m) => {
      const t = m as {
        name: string;
        isTensor: boolean;
        type?: string;
        shape?: (number | string)[];
      };
      return { name: t.name, type: t.type ?? "unknown", shape: t.shape ?? [] };
    });
  }

  /**
   * Static metadata of every output.
   * @returns name, element type and shape of each output
   */
  outputs(): InputInfo[] {
    return this.#session.outputMetadata.map((m) => {
      const t = m as { name: string; type?: string; shape?: (number | string)[] };
      return { name: t.name, type: t.type ?? "unknown", shape: t.shape ?? [] };
    });
  }

  /**
   * Runs the graph. Runs of one session are ordered; the caller owns the returned tensors.
   * @param feeds input name -> tensor (extra names are dropped, missing ones are an error)
   * @returns output name -> tensor
   */
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const inputs: Record<string, OrtTensor> = {};
    for (const n of this.#session.inputNames) {
      const t = feeds[n];
      if (!t) {
        return Promise.reject(
          new Error(`${this.name}: internal error, no value for input "${n}"`),
        );
      }
      inputs[n] = t;
    }
    const result = this.#tail.then(() => this.#session.run(inputs));
    this.#tail = result.catch(() => undefined);
    return result.then((out) => {
      this.runs++;
      return out as Record<string, OrtTensor>;
    });
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.#tail;
    await this.#session.release();
  }
}
