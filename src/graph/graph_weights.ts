/**
 * Checkpoint tensors as graph initializers. A family file asks for a weight by its Hugging Face
 * name; the initializer keeps that exact name (readable graphs, stable partitioning), is added
 * once per graph, and references the checkpoint's bytes without copying when they are already
 * little-endian float32. Other float dtypes are widened to float32 (one new buffer).
 * @module
 */

import { getWeight, type WeightMap } from "../weights/weight_map.ts";
import { toFloat32, type WeightTensor } from "../weights/weight_tensor.ts";
import type { GraphBuilder } from "./builder.ts";

/** Reads checkpoint tensors into one graph's initializers. */
export class GraphWeights {
  /**
   * @param b the graph the initializers go into
   * @param map the checkpoint's tensors by name
   * @param source where the checkpoint came from, for error messages
   */
  constructor(
    readonly b: GraphBuilder,
    readonly map: ReadonlyMap<string, WeightTensor> | WeightMap,
    readonly source = "checkpoint",
  ) {}

  /**
   * Whether the checkpoint has a tensor.
   * @param name checkpoint name
   * @returns true when present
   */
  has(name: string): boolean {
    return this.map.has(name);
  }

  /**
   * A float32 initializer holding the named checkpoint tensor (added on first use).
   * @param name checkpoint name, e.g. `encoder.layernorm.weight`
   * @param shape expected shape (checked; ModelLoadError naming the tensor when it differs)
   * @returns the initializer's name (equal to `name`)
   */
  f32(name: string, shape?: readonly number[]): string {
    const t = getWeight(this.map, name, shape, { source: this.source });
    if (this.b.has(name)) return name;
    if (t.dtype === "F32") return this.b.initializer(name, "float32", t.shape, t.data);
    return this.b.initializerF32(name, toFloat32(t), t.shape);
  }

  /**
   * The named tensor's values as float32, for build-time transforms (a new array).
   * @param name checkpoint name
   * @param shape expected shape
   * @returns the values, row-major
   */
  values(name: string, shape?: readonly number[]): Float32Array {
    return toFloat32(getWeight(this.map, name, shape, { source: this.source }));
  }
}
