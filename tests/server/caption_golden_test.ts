/**
 * `POST /v1/caption` answers the CLI's --json object with Python's generate() results (the
 * goldens), for raw bytes and multipart, greedy and beam search, on both fixture models. Two
 * images in one multipart request run as one batch and must still answer what each gets alone
 * (the solo goldens, not the batch goldens, whose shorter row Python pads).
 */
import assert from "node:assert/strict";
import { golden, type GoldenCase, imagePath, modelDir, MODELS } from "../support/goldens.ts";
import { imageBytes, postMultipart, postRaw, serveFixture } from "./server_test_support.ts";

interface Sequence {
  text: string;
  token_ids: number[];
  score: number | null;
}

function assertCase(seqs: Sequence[], c: GoldenCase, first = 0): void {
  const n = c.sequences.length / c.images.length;
  assert.equal(seqs.length, n, `${c.name}: ${n} sequences per image`);
  seqs.forEach((s, i) => {
    assert.deepEqual(s.token_ids, c.sequences[first * n + i], `${c.name}: ids of sequence ${i}`);
    assert.equal(s.text, c.text[first * n + i], `${c.name}: text of sequence ${i}`);
    if (c.sequences_scores) {
      const want = c.sequences_scores[first * n + i];
      const tol = Math.min(1e-4, c.min_candidate_score_gap);
      assert.ok(Math.abs((s.score ?? NaN) - want) <= tol, `${c.name}: score ${s.score} vs ${want}`);
    } else assert.equal(s.score, null);
  });
}

for (const model of MODELS) {
  Deno.test(`server answers ${model}'s goldens, raw bytes and multipart, greedy and beam`, async () => {
    const g = await golden(model);
    const byName = (n: string): GoldenCase => g.generate.find((c) => c.name === n)!;
    const s = await serveFixture(model);
    try {
      // raw bytes, options in the query string
      for (
        const [query, name, file] of [
          ["?max_new_tokens=16", "greedy", "probe.png"],
          ["?max_new_tokens=16", "greedy_jpeg", "probe.jpg"],
          ["?max_new_tokens=16&num_beams=4", "beam4", "probe.png"],
          [
            "?max_new_tokens=16&num_beams=4&early_stopping=true",
            "beam4_early_stopping",
            "probe.png",
          ],
        ] as const
      ) {
        const r = await postRaw(s.url, imageBytes(file), query);
        assert.equal(r.status, 200, await r.clone().text());
        const body = await r.json();
        assert.equal(body.image, "-");
        assertCase(body.sequences, byName(name));
      }
      // multipart, two images in one batch: each answer is its solo golden
      for (
        const [options, names] of [
          [{ max_new_tokens: 16 }, ["greedy", "greedy_probe2"]],
          [{ max_new_tokens: 16, num_beams: 4, num_return_sequences: 3, length_penalty: 0.6 }, [
            "beam4_nrs3_lp0.6",
          ]],
        ] as const
      ) {
        const files = names.length === 2 ? ["probe.png", "probe2.png"] : ["probe.png"];
        const r = await postMultipart(
          s.url,
          files.map((f) => [f, imageBytes(f)]),
          options,
        );
        assert.equal(r.status, 200, await r.clone().text());
        const body = await r.json();
        assert.deepEqual(body.results.map((x: { image: string }) => x.image), files);
        names.forEach((n, i) => assertCase(body.results[i].sequences, byName(n)));
      }
      assert.ok(s.app.stats.largestBatch >= 2, "the two-image request ran as one batch");
    } finally {
      await s.close();
    }
  });
}

Deno.test("server: the multipart options part wins over the query string", async () => {
  const g = await golden("vit-gpt2");
  const s = await serveFixture("vit-gpt2");
  try {
    const form = new FormData();
    form.append("image", new File([imageBytes("probe.png")], "probe.png"));
    form.append("options", JSON.stringify({ num_beams: 4 }));
    const r = await fetch(`${s.url}/v1/caption?max_new_tokens=16&num_beams=2`, {
      method: "POST",
      body: form,
    });
    assert.equal(r.status, 200);
    const body = await r.json();
    assertCase(body.results[0].sequences, g.generate.find((c) => c.name === "beam4")!);
  } finally {
    await s.close();
  }
});

Deno.test("server: a raw-body answer is the CLI's --json line for the same image and options", async () => {
  const cli = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
      new URL("../../src/cli/caption.ts", import.meta.url).pathname,
      "--model",
      modelDir("vit-gpt2"),
      "--json",
      "--generation-config",
      '{"max_new_tokens": 16, "num_beams": 4, "num_return_sequences": 2}',
      imagePath("probe2.png"),
    ],
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", VEDGE_OFFLINE: "1" },
  }).output();
  assert.equal(cli.code, 0);
  const line = JSON.parse(new TextDecoder().decode(cli.stdout).trim());
  const s = await serveFixture("vit-gpt2");
  try {
    const r = await postRaw(
      s.url,
      imageBytes("probe2.png"),
      "?max_new_tokens=16&num_beams=4&num_return_sequences=2",
    );
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ...line, image: "-" });
  } finally {
    await s.close();
  }
});
