import assert from "node:assert/strict";
import { memoryFiles } from "../hub/model_files.ts";
import { loadTokenizer } from "./load_tokenizer.ts";
import type { TextTokenizer } from "./text_tokenizer.ts";
import { stripAccents } from "./wordpiece.ts";

// A hand-made BERT vocabulary. Expected results are reasoned from transformers v4.27's
// BertTokenizer (tokenization_bert.py): tokenize() lowercases non-special text, splits around
// special tokens (plain-str specials eat the spaces on both sides), BasicTokenizer cleans text,
// pads CJK characters with spaces, lowercases + strips accents (NFD, drop Mn), splits punctuation;
// WordPiece is greedy longest-match-first with "##"; a word with an unmatched piece is [UNK].
// Decoding: " ".join(tokens).replace(" ##", "").strip(), then clean_up_tokenization.
const VOCAB = [
  "[PAD]",
  "[UNK]",
  "[CLS]",
  "[SEP]",
  "[MASK]",
  "un",
  "##aff",
  "##able",
  "hello",
  "world",
  ",",
  ".",
  "!",
  "中",
  "'",
  "s",
  "it",
];
const CONFIG = JSON.stringify({ do_lower_case: true, tokenizer_class: "BertTokenizer" });

// The same tokenizer in tokenizer.json form, as `tokenizers` saves BertTokenizerFast.
function tokenizerJson(): string {
  const added = VOCAB.slice(0, 5).map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])),
    },
  });
}

async function both(): Promise<[string, TextTokenizer][]> {
  const vocabTxt = VOCAB.join("\n") + "\n";
  const slow = await loadTokenizer(
    memoryFiles("tiny-bert", { "vocab.txt": vocabTxt, "tokenizer_config.json": CONFIG }),
  );
  const fast = await loadTokenizer(
    memoryFiles("tiny-bert", {
      "tokenizer.json": tokenizerJson(),
      "tokenizer_config.json": CONFIG,
    }),
  );
  return [["vocab.txt", slow], ["tokenizer.json", fast]];
}

Deno.test("WordPiece encode() lowercases, strips accents, splits punctuation and CJK, uses ##", async () => {
  for (const [via, tok] of await both()) {
    // "unaffable" -> un ##aff ##able; "Héllo" -> hello; "国" is not in the vocab -> [UNK].
    assert.deepEqual(
      tok.encode("UnAffable, Héllo  WORLD! 中国"),
      [2, 5, 6, 7, 10, 8, 9, 12, 13, 1, 3],
      via,
    );
    assert.deepEqual(tok.encode("HELLO [SEP] World", { addSpecialTokens: false }), [8, 3, 9], via);
    assert.deepEqual(tok.encode("unaff"), [2, 5, 6, 3], via);
    // un + ##aff match, then "##x" does not: the whole word becomes [UNK].
    assert.deepEqual(tok.encode("unaffx"), [2, 1, 3], via);
    assert.deepEqual(tok.encode("\u0000hello\tworld\u200b"), [2, 8, 9, 3], via); // controls dropped
  }
});

Deno.test("WordPiece decode() joins ## pieces and matches Python with and without clean-up", async () => {
  for (const [via, tok] of await both()) {
    const ids = [2, 5, 6, 7, 10, 8, 9, 12, 13, 1, 3];
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "unaffable, hello world! 中", via);
    assert.equal(
      tok.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }),
      "unaffable , hello world ! 中",
      via,
    );
    assert.equal(tok.decode(ids), "[CLS] unaffable, hello world! 中 [UNK] [SEP]", via);
    assert.equal(tok.decode([16, 14, 15]), "it's", via); // " ' " -> "'"
    assert.equal(tok.decode([16, 14, 15], { cleanUpTokenizationSpaces: false }), "it ' s", via);
    // BertTokenizer maps unknown ids to [UNK], which is not skipped (99 is not a special id).
    assert.equal(tok.decode([8, 99], { skipSpecialTokens: true }), "hello [UNK]", via);
    assert.deepEqual(tok.specialTokenIds, {
      bos: null,
      eos: null,
      unk: 1,
      sep: 3,
      pad: 0,
      cls: 2,
      mask: 4,
    });
  }
});

Deno.test("stripAccents() removes combining marks after NFD, as _run_strip_accents", () => {
  assert.equal(stripAccents("héllo naïve"), "hello naive");
  assert.equal(stripAccents("中"), "中");
});
