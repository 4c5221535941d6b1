/**
 * libjpeg-turbo's "fancy" (triangle-filter) upsampling of a subsampled component, as Pillow's
 * decoder gets it (do_fancy_upsampling is on by default): jdsample.c `h2v1_fancy_upsample` and
 * `h2v2_fancy_upsample`, with the first and last columns handled specially and the rows above
 * the top and below the bottom taken as copies of the edge rows (jdmainct.c context rows).
 * @module
 */

/** A component plane: `width` x `height` samples in rows of `stride`. */
export interface Plane {
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
}

function h2Row(
  cur: (i: number) => number,
  other: ((i: number) => number) | null,
  width: number,
  out: Uint8Array,
  o: number,
): void {
  if (other === null) {
    // h2v1: out = (3 * this + neighbour + 1 or 2) >> 2
    if (width === 1) {
      out[o] = out[o + 1] = cur(0);
      return;
    }
    out[o++] = cur(0);
    out[o++] = (cur(0) * 3 + cur(1) + 2) >> 2;
    for (let i = 1; i < width - 1; i++) {
      const v = cur(i) * 3;
      out[o++] = (v + cur(i - 1) + 1) >> 2;
      out[o++] = (v + cur(i + 1) + 2) >> 2;
    }
    out[o++] = (cur(width - 1) * 3 + cur(width - 2) + 1) >> 2;
    out[o] = cur(width - 1);
    return;
  }
  // h2v2: column sums of 3 * this row + the nearer other row, then the same along the row
  const sum = (i: number): number => cur(i) * 3 + other(i);
  if (width === 1) {
    out[o] = (sum(0) * 4 + 8) >> 4;
    out[o + 1] = (sum(0) * 4 + 7) >> 4;
    return;
  }
  let last = sum(0);
  let cur0 = last;
  let next = sum(1);
  out[o++] = (cur0 * 4 + 8) >> 4;
  out[o++] = (cur0 * 3 + next + 7) >> 4;
  for (let i = 1; i < width - 1; i++) {
    last = cur0;
    cur0 = next;
    next = sum(i + 1);
    out[o++] = (cur0 * 3 + last + 8) >> 4;
    out[o++] = (cur0 * 3 + next + 7) >> 4;
  }
  last = cur0;
  cur0 = next;
  out[o++] = (cur0 * 3 + last + 8) >> 4;
  out[o] = (cur0 * 4 + 7) >> 4;
}

/**
 * Upsamples a plane by 2 horizontally (h2v1) or by 2 in both directions (h2v2).
 * @param plane the downsampled plane (its `width`/`height`: libjpeg's downsampled size)
 * @param vertical true for h2v2
 * @returns the upsampled plane, 2*width wide and height (h2v1) or 2*height (h2v2) tall
 */
export function fancyUpsample(plane: Plane, vertical: boolean): Plane {
  const { width, height, stride, data } = plane;
  const outWidth = 2 * width;
  const outHeight = vertical ? 2 * height : height;
  const out = new Uint8Array(outWidth * outHeight);
  const row = (y: number) => {
    const base = Math.min(Math.max(y, 0), height - 1) * stride;
    return (i: number): number => data[base + i];
  };
  for (let y = 0; y < height; y++) {
    if (!vertical) {
      h2Row(row(y), null, width, out, y * outWidth);
      continue;
    }
    h2Row(row(y), row(y - 1), width, out, 2 * y * outWidth);
    h2Row(row(y), row(y + 1), width, out, (2 * y + 1) * outWidth);
  }
  return { width: outWidth, height: outHeight, stride: outWidth, data: out };
}
