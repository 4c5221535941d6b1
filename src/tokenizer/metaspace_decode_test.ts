import assert from "node:assert/strict";
import { memoryFiles } from "../hub/model_files.ts";
import { loadTokenizer } from "./load_tokenizer.ts";
import { metaspaceReplacement, pythonStrip } from "./metaspace_decode.ts";
import type { TextTokenizer } from "./text_tokenizer.ts";

// A hand-built MBart-style tokenizer.json (Unigram + Metaspace). Expected texts follow
// transformers v4.27's slow MBartTokenizer / XLMRobertaTokenizer decode: special ids dropped when
// skipping, runs of vocabulary tokens joined by convert_tokens_to_string
// ("".join(tokens).replace("▁", " ").strip()), tokens added outside the vocabulary kept as
// pieces, pieces joined with one space, then clean_up_tokenization.
const VOCAB: [string, number][] = [
  ["<s>", 0],
  ["<pad>", 0],
  ["</s>", 0],
  ["<unk>", 0],
  ["▁", -2], // 4
  ["te", -3], // 5
  ["▁te", -1], // 6
  ["88", -3], // 7
  ["▁88", -2], // 8
  ["rt", -3], // 9
  ["al", -3], // 10
  [",", -3], // 11
  ["s", -4], // 12
  ["en_XX", 0], // 13: a language code, in the vocabulary (as MBart's converter puts it)
];
const added = (id: number, content: string, special: boolean) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special,
});

function tokenizerJson(decoder: Record<string, unknown>): string {
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      added(0, "<s>", true),
      added(1, "<pad>", true),
      added(2, "</s>", true),
      added(3, "<unk>", true),
      added(13, "en_XX", true),
      added(14, "<extra>", false), // 14: added outside the vocabulary
    ],
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true },
    post_processor: null,
    decoder,
    model: { type: "Unigram", unk_id: 3, vocab: VOCAB },
  });
}

async function load(decoder: Record<string, unknown>): Promise<TextTokenizer> {
  return await loadTokenizer(memoryFiles("mbart-like", {
    "tokenizer.json": tokenizerJson(decoder),
    "tokenizer_config.json": JSON.stringify({ tokenizer_class: "MBartTokenizer" }),
    "special_tokens_map.json": JSON.stringify({
      bos_token: "<s>",
      eos_token: "</s>",
      unk_token: "<unk>",
      pad_token: "<pad>",
      additional_special_tokens: ["en_XX"],
    }),
  }));
}

const DECODERS: Record<string, Record<string, unknown>> = {
  "add_prefix_space": { type: "Metaspace", replacement: "▁", add_prefix_space: true },
  "prepend_scheme always": {
    type: "Metaspace",
    replacement: "▁",
    prepend_scheme: "always",
    split: true,
  },
  "prepend_scheme never": {
    type: "Metaspace",
    replacement: "▁",
    prepend_scheme: "never",
    split: true,
  },
};

for (const [name, decoder] of Object.entries(DECODERS)) {
  Deno.test(`Metaspace (${name}) decodes as the slow SentencePiece tokenizers`, async () => {
    const tok = await load(decoder);
    const skip = { skipSpecialTokens: true };
    const keep = { skipSpecialTokens: false };
    // the reported case: a final "▁" leaves no trailing space (the fast decoder keeps one)
    assert.equal(tok.decode([0, 7, 9, 10, 5, 5, 6, 6, 4, 2], skip), "88rtaltete te te");
    // leading "▁"s are stripped too (the fast decoder drops only the first token's)
    assert.equal(tok.decode([0, 4, 6, 2], skip), "te");
    assert.equal(tok.decode([4, 4], skip), "");
    // special tokens in the middle and at the end, kept: part of the run
    assert.equal(tok.decode([6, 2, 6], keep), "te</s> te");
    assert.equal(tok.decode([6, 4, 2], keep), "te </s>");
    assert.equal(tok.decode([0, 6, 2], keep), "<s> te</s>");
    // skipped: the run closes over them
    assert.equal(tok.decode([6, 2, 6], skip), "te te");
    assert.equal(tok.decode([13, 6, 13, 8, 2], skip), "te 88");
    assert.equal(tok.decode([13, 6, 2], keep), "en_XX te</s>");
    // clean-up of spaces before punctuation, on by default
    assert.equal(tok.decode([6, 4, 11, 6], skip), "te, te");
    assert.equal(
      tok.decode([6, 4, 11, 6], { ...skip, cleanUpTokenizationSpaces: false }),
      "te , te",
    );
    // a token added outside the vocabulary is its own piece; each run is stripped on its own
    assert.equal(tok.decode([6, 4, 14, 4, 6, 4], skip), "te <extra> te");
    assert.deepEqual(tok.batchDecode([[6, 12, 4], [8]], skip), ["tes", "88"]);
  });
}

Deno.test("pythonStrip removes what Python's str.strip() removes", () => {
  assert.equal(pythonStrip("\x1c\x85 a b\u3000\n"), "a b");
  assert.equal(pythonStrip("\ufeffa\ufeff"), "\ufeffa\ufeff", "U+FEFF is not Python whitespace");
  assert.equal(pythonStrip("   "), "");
});

Deno.test("metaspaceReplacement finds a Metaspace decoder, alone or in a one-step Sequence", () => {
  assert.equal(metaspaceReplacement({ type: "Metaspace", replacement: "▁" }), "▁");
  assert.equal(
    metaspaceReplacement({ type: "Sequence", decoders: [{ type: "Metaspace" }] }),
    "▁",
  );
  assert.equal(metaspaceReplacement({ type: "ByteLevel" }), null);
  assert.equal(metaspaceReplacement(null), null);
});
