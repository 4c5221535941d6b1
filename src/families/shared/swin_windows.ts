/**
 * Swin's static window geometry (transformers v4.27 modeling_swin.py): which window and shift
 * each block uses on its stage's grid (SwinStage, SwinLayer.set_shift_and_window_size), the
 * `relative_position_index` buffer (SwinSelfAttention.__init__) and the shifted-window attention
 * mask (SwinLayer.get_attn_mask). Used by swin_graph.ts at build time.
 * @module
 */

import { UnsupportedModelError } from "../../errors.ts";
import { type ImageFields, imageGeometry } from "./vit_layers.ts";

/** One block's window geometry: window size and cyclic shift. */
export interface BlockPlan {
  window: number;
  shift: number;
}

/** One stage's geometry: width, heads, token grid and blocks. */
export interface StagePlan {
  dim: number;
  heads: number;
  grid: [number, number];
  blocks: BlockPlan[];
}

/**
 * Stage by stage: width, heads, grid and each block's window and shift, as v4.27 decides them.
 * @param f config fields
 * @returns the stages
 */
export function swinPlan(
  f: ImageFields & {
    depths: readonly number[];
    num_heads: readonly number[];
    window_size: number;
    embed_dim: number;
  },
): StagePlan[] {
  const g = imageGeometry(f);
  let grid: [number, number] = [
    Math.ceil(g.image[0] / g.patch[0]),
    Math.ceil(g.image[1] / g.patch[1]),
  ];
  return f.depths.map((depth, s) => {
    const blocks: BlockPlan[] = [];
    for (let i = 0; i < depth; i++) {
      let window = f.window_size;
      let shift = i % 2 === 0 ? 0 : Math.floor(f.window_size / 2);
      const least = Math.min(...grid);
      if (least <= window) {
        if (least < window) {
          throw new UnsupportedModelError(
            `Cannot build Swin stage ${s} on a ${grid[0]}x${grid[1]} grid with window_size ` +
              `${f.window_size}: transformers v4.27 shrinks the window to ${least} but keeps a ` +
              `relative position table for ${f.window_size}, and fails`,
          );
        }
        shift = 0;
        window = least;
      }
      blocks.push({ window, shift });
    }
    const plan = { dim: f.embed_dim * 2 ** s, heads: f.num_heads[s], grid, blocks };
    grid = [Math.floor((grid[0] + 1) / 2), Math.floor((grid[1] + 1) / 2)];
    return plan;
  });
}

/**
 * SwinSelfAttention's `relative_position_index` for a w x w window.
 * @param w window size
 * @returns indices [w^2 * w^2], row-major
 */
export function swinRelativePositionIndex(w: number): Int32Array {
  const n = w * w;
  const idx = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dh = Math.floor(i / w) - Math.floor(j / w) + w - 1;
      const dw = (i % w) - (j % w) + w - 1;
      idx[i * n + j] = dh * (2 * w - 1) + dw;
    }
  }
  return idx;
}

/**
 * SwinLayer.get_attn_mask: regions of the padded, shifted grid; 0 within a region, -100 across.
 * @param hp padded height
 * @param wp padded width
 * @param w window
 * @param s shift
 * @returns [windows, w^2, w^2], row-major
 */
export function swinAttentionMask(hp: number, wp: number, w: number, s: number): Float32Array {
  // slice(0, -w), slice(-w, -s), slice(-s, None) on each axis
  const region = (i: number, size: number): number => i < size - w ? 0 : i < size - s ? 1 : 2;
  const nwh = hp / w, nww = wp / w, n = w * w;
  const out = new Float32Array(nwh * nww * n * n);
  const ids = new Int32Array(n);
  for (let a = 0; a < nwh; a++) {
    for (let c = 0; c < nww; c++) {
      for (let t = 0; t < n; t++) {
        ids[t] = region(a * w + Math.floor(t / w), hp) * 3 + region(c * w + (t % w), wp);
      }
      const base = (a * nww + c) * n * n;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) out[base + i * n + j] = ids[i] === ids[j] ? 0 : -100;
      }
    }
  }
  return out;
}
