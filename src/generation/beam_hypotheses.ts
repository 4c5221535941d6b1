/**
 * `BeamHypotheses` and `BeamSearchScorer` of transformers v4.27 (`generation/beam_search.py`),
 * step for step: finished hypotheses are scored `sum_logprobs / length ** length_penalty` where
 * the length counts the decoder start token but not the EOS being added; a batch row is done by
 * the `early_stopping` rule (true: num_beams finished; false: the heuristic bound
 * `best / len ** length_penalty`; "never": the best score still reachable, from max_length when
 * length_penalty > 0). `len` is the length of the sequences the step's candidate scores belong
 * to: the input length plus the token being scored (see `BeamSearchScorer.process`). Scores are
 * Python floats (double) built from float32 values, as `.item()` makes them.
 * @module
 */
import type { EarlyStopping } from "../config/generation_config.ts";

/** One finished hypothesis. */
export interface Hypothesis {
  score: number;
  tokens: number[];
}

/** The n-best list of finished hypotheses of one batch row. */
export class BeamHypotheses {
  /** Hypotheses, in insertion order (eviction keeps Python's list order). */
  readonly beams: Hypothesis[] = [];
  #worst = 1e9;

  /**
   * @param numBeams list capacity
   * @param lengthPenalty exponent on the length
   * @param earlyStopping the stopping rule
   * @param maxLength resolved max_length (for "never")
   */
  constructor(
    readonly numBeams: number,
    readonly lengthPenalty: number,
    readonly earlyStopping: EarlyStopping,
    readonly maxLength: number,
  ) {}

  /** Number of hypotheses held. */
  get length(): number {
    return this.beams.length;
  }

  /** The worst score held (1e9 while empty), as Python tracks it. */
  get worstScore(): number {
    return this.#worst;
  }

  /**
   * Adds a hypothesis if the list has room or it beats the worst.
   * @param tokens the sequence without the EOS being added
   * @param sumLogprobs its beam score
   */
  add(tokens: number[], sumLogprobs: number): void {
    const score = sumLogprobs / Math.pow(tokens.length, this.lengthPenalty);
    if (this.beams.length < this.numBeams || score > this.#worst) {
      this.beams.push({ score, tokens });
      if (this.beams.length > this.numBeams) {
        // sorted([(s, idx)]): the lowest score goes, the lowest index among equals
        const order = this.beams.map((b, i) => [b.score, i] as const)
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0][1], 1);
        this.#worst = order[1][0];
      } else {
        this.#worst = Math.min(score, this.#worst);
      }
    }
  }

  /**
   * Whether no running beam can still improve this list.
   * @param bestSumLogprobs the best candidate score of this step (EOS candidates included)
   * @param curLen the length of the sequences that score belongs to (input length + 1)
   * @returns true when done
   */
  isDone(bestSumLogprobs: number, curLen: number): boolean {
    if (this.beams.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    // false: the heuristic from the current length; "never": the canonical bound, which for
    // length_penalty > 0 is reached at max_length (a longer divisor raises a negative score)
    const len = this.earlyStopping === "never" && this.lengthPenalty > 0 ? this.maxLength : curLen;
    return this.#worst >= bestSumLogprobs / Math.pow(len, this.lengthPenalty);
  }
}

/** What one scorer step decides: the next beams, row-major [batch * numBeams]. */
export interface BeamStep {
  scores: Float32Array;
  tokens: Int32Array;
  /** Batch-beam row each next beam continues. */
  indices: Int32Array;
}

/** `BeamSearchScorer`: keeps the finished hypotheses and picks the next beams. */
export class BeamSearchScorer {
  readonly hyps: BeamHypotheses[];
  readonly done: boolean[];

  /**
   * @param batch number of images
   * @param numBeams beams per image
   * @param lengthPenalty exponent on the length
   * @param earlyStopping the stopping rule
   * @param numReturn hypotheses returned per image
   * @param maxLength resolved max_length
   */
  constructor(
    readonly batch: number,
    readonly numBeams: number,
    lengthPenalty: number,
    earlyStopping: EarlyStopping,
    readonly numReturn: number,
    maxLength: number,
  ) {
    this.hyps = Array.from(
      { length: batch },
      () => new BeamHypotheses(numBeams, lengthPenalty, earlyStopping, maxLength),
    );
    this.done = new Array(batch).fill(false);
  }

  /** Whether every batch row is done. */
  get isDone(): boolean {
    return this.done.every((d) => d);
  }

  /**
   * One step: candidates (top 2*numBeams per batch row, best first) become finished hypotheses
   * (EOS among the first numBeams ranks) or next beams.
   * @param histories each batch-beam row's tokens so far
   * @param topScores [batch, 2*numBeams] candidate scores, descending
   * @param topTokens [batch, 2*numBeams] candidate tokens
   * @param topBeams [batch, 2*numBeams] candidate beam (0..numBeams-1 within the batch row)
   * @param eos EOS ids
   * @param pad pad id
   * @returns the next beams
   */
  process(
    histories: readonly (readonly number[])[],
    topScores: Float32Array,
    topTokens: Int32Array,
    topBeams: Int32Array,
    eos: readonly number[],
    pad: number | null,
  ): BeamStep {
    const n = this.numBeams;
    // The candidates score sequences one token longer than the input: the reference bounds the
    // reachable score with that length. With the input length instead, its trocr `beam4` golden
    // would stop at input length 4 (worst -1.6812 >= best -6.8747 / 4), yet it runs to
    // max_length: -6.8747 / 5 = -1.375 keeps it going, as every golden case requires.
    const scoredLen = histories[0].length + 1;
    const out: BeamStep = {
      scores: new Float32Array(this.batch * n),
      tokens: new Int32Array(this.batch * n),
      indices: new Int32Array(this.batch * n),
    };
    for (let b = 0; b < this.batch; b++) {
      if (this.done[b]) {
        if (pad === null || eos.length === 0) {
          throw new RangeError("beam search needs eos_token_id and pad_token_id to pad done rows");
        }
        // Python points done rows at batch-beam 0; vedge keeps them on their own image's first
        // beam so rows stay grouped by image (never read again either way).
        out.tokens.fill(pad, b * n, (b + 1) * n);
        out.indices.fill(b * n, b * n, (b + 1) * n);
        continue;
      }
      let beam = 0;
      for (let rank = 0; rank < 2 * n; rank++) {
        const c = b * 2 * n + rank;
        const token = topTokens[c];
        const row = b * n + topBeams[c];
        if (eos.includes(token)) {
          if (rank >= n) continue;
          this.hyps[b].add([...histories[row]], topScores[c]);
        } else {
          out.scores[b * n + beam] = topScores[c];
          out.tokens[b * n + beam] = token;
          out.indices[b * n + beam] = row;
          beam++;
        }
        if (beam === n) break;
      }
      if (beam < n) {
        throw new RangeError(
          `At most ${n} tokens of the ${2 * n} candidates can be an EOS id (${eos.join(", ")})`,
        );
      }
      this.done[b] = this.done[b] || this.hyps[b].isDone(topScores[b * 2 * n], scoredLen);
    }
    return out;
  }

  /**
   * Adds the running beams of unfinished rows and returns the best hypotheses per image,
   * EOS appended where it fits and padded to a common length as Python's `finalize` does.
   * @param histories each batch-beam row's tokens
   * @param beamScores running beam scores
   * @param maxLength resolved max_length
   * @param eos EOS ids
   * @param pad pad id
   * @returns sequences and their float32 scores
   */
  finalize(
    histories: readonly (readonly number[])[],
    beamScores: Float32Array,
    maxLength: number,
    eos: readonly number[],
    pad: number | null,
  ): { sequences: number[][]; scores: number[] } {
    const n = this.numBeams;
    for (let b = 0; b < this.batch; b++) {
      if (this.done[b]) continue;
      for (let j = 0; j < n; j++) {
        this.hyps[b].add([...histories[b * n + j]], beamScores[b * n + j]);
      }
    }
    const best: Hypothesis[] = [];
    for (let b = 0; b < this.batch; b++) {
      // sorted(key=score) is stable and pop() takes the last: among equals the latest added
      const sorted = [...this.hyps[b].beams].sort((x, y) => x.score - y.score);
      for (let j = 0; j < this.numReturn; j++) best.push(sorted.pop()!);
    }
    const lengths = best.map((h) => h.tokens.length);
    const longest = Math.max(...lengths);
    const width = Math.min(longest + 1, maxLength);
    if (Math.min(...lengths) !== longest && pad === null) {
      throw new RangeError("pad_token_id has to be defined to pad beam search results");
    }
    const sequences = best.map((h) => {
      const s = [...h.tokens];
      if (s.length < width && eos.length > 0) s.push(eos[0]);
      while (s.length < width && pad !== null) s.push(pad);
      return s;
    });
    return { sequences, scores: best.map((h) => Math.fround(h.score)) };
  }
}
