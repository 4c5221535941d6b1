/**
 * The baseline beam search: Hugging Face transformers' `beam_search` at the reference commit, with
 * `BeamSearchScorer` for one image, written as plainly as the Python, over a decoder that is
 * run as shipped. Every beam is a full row of the decoder batch from the first step on (the first
 * step runs 4 identical rows, beams 1..3 start at -1e9), and the cache is reordered by gathering
 * rows after every step. It is what a straightforward port does; vedge is measured against it.
 *
 * Not covered (not needed by the benchmark): logits processors, num_return_sequences > 1,
 * batches of images.
 * @module
 */

/** A decoder run as the export ships it, one row per beam. */
export interface BeamDecoder {
  /** First step for `rows` identical rows of the start token; logits [rows, vocab]. */
  first(rows: number, start: number): Promise<Float32Array>;
  /** Reorders the cache to `beamIdx`, then runs one token per row; logits [rows, vocab]. */
  step(beamIdx: readonly number[], tokens: readonly number[]): Promise<Float32Array>;
  /** Vocabulary size (valid after `first`). */
  readonly vocabSize: number;
}

/** Beam-search settings, with Hugging Face's names. */
export interface BeamSettings {
  num_beams: number;
  /** Total length limit, start token included. */
  max_length: number;
  decoder_start_token_id: number;
  eos_token_id: number | number[];
  pad_token_id: number;
  length_penalty?: number;
  early_stopping?: boolean;
}

/** Finished hypotheses of one image (BeamHypotheses in Python). */
class Hypotheses {
  readonly beams: { score: number; ids: number[] }[] = [];
  worst = 1e9;
  constructor(
    readonly n: number,
    readonly lp: number,
    readonly early: boolean,
    readonly maxLength: number,
  ) {}

  add(ids: number[], sumLogprobs: number): void {
    const score = sumLogprobs / ids.length ** this.lp;
    if (this.beams.length < this.n || score > this.worst) {
      this.beams.push({ score, ids });
      if (this.beams.length > this.n) {
        const sorted = this.beams.map((b, i) => [b.score, i]).sort((a, b) => a[0] - b[0]);
        this.beams.splice(sorted[0][1], 1);
        this.worst = sorted[1][0];
      } else this.worst = Math.min(score, this.worst);
    }
  }

  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.n) return false;
    if (this.early) return true;
    // The reference commit (c52c5282, between PRs 20901 and 21368) bounds the best reachable
    // score with max_length when length_penalty > 0, not with cur_len: the trocr beam4 golden
    // only comes out this way (with cur_len the search stops at length 4 with a worse answer).
    const len = this.lp > 0 ? this.maxLength : curLen;
    return this.worst >= bestSumLogprobs / len ** this.lp;
  }
}

function logSoftmaxRow(logits: Float32Array, row: number, vocab: number): Float64Array {
  const x = logits.subarray(row * vocab, (row + 1) * vocab);
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(x[i] - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(vocab);
  for (let i = 0; i < vocab; i++) out[i] = x[i] - lse;
  return out;
}

/**
 * Runs the reference beam search for one image.
 * @param decoder the decoder, run as shipped
 * @param s settings
 * @returns the best sequence (start token first, EOS appended when it ended early) and its score
 */
export async function referenceBeamSearch(
  decoder: BeamDecoder,
  s: BeamSettings,
): Promise<{ ids: number[]; score: number }> {
  const nb = s.num_beams;
  const eos = [s.eos_token_id].flat();
  const hyps = new Hypotheses(nb, s.length_penalty ?? 1, s.early_stopping ?? false, s.max_length);
  let seqs = Array.from({ length: nb }, () => [s.decoder_start_token_id]);
  let beamScores: number[] = Array.from({ length: nb }, (_, i) => (i === 0 ? 0 : -1e9));
  let logits = await decoder.first(nb, s.decoder_start_token_id);
  let done = false;
  for (;;) {
    const vocab = decoder.vocabSize;
    const curLen = seqs[0].length;
    // Top 2*nb of (beam score + log-softmax) over all beams' tokens, highest first.
    const cand: { score: number; beam: number; token: number }[] = [];
    for (let b = 0; b < nb; b++) {
      const lp = logSoftmaxRow(logits, b, vocab);
      for (let t = 0; t < vocab; t++) {
        const score = lp[t] + beamScores[b];
        if (cand.length < 2 * nb || score > cand[cand.length - 1].score) {
          // Insertion keeps the earlier (beam, token) first among equal scores.
          let at = cand.length;
          while (at > 0 && cand[at - 1].score < score) at--;
          cand.splice(at, 0, { score, beam: b, token: t });
          if (cand.length > 2 * nb) cand.pop();
        }
      }
    }
    const next: { score: number; beam: number; token: number }[] = [];
    for (let rank = 0; rank < cand.length && next.length < nb; rank++) {
      const c = cand[rank];
      if (eos.includes(c.token)) {
        if (rank < nb) hyps.add([...seqs[c.beam]], c.score);
      } else next.push(c);
    }
    done = done || hyps.isDone(cand[0].score, curLen);
    seqs = next.map((c) => [...seqs[c.beam], c.token]);
    beamScores = next.map((c) => c.score);
    if (done || seqs[0].length >= s.max_length) break;
    logits = await decoder.step(next.map((c) => c.beam), next.map((c) => c.token));
  }
  if (!done) { for (let b = 0; b < nb; b++) hyps.add(seqs[b], beamScores[b]); }
  const best = [...hyps.beams].sort((a, b) => b.score - a.score)[0];
  const ids = [...best.ids];
  if (ids.length < s.max_length) ids.push(eos[0]);
  return { ids, score: best.score };
}
