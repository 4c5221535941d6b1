import assert from "node:assert/strict";
import { memoryFiles, type ModelFiles } from "../hub/model_files.ts";
import { loadTokenizer } from "./load_tokenizer.ts";
import type { TextTokenizer } from "./text_tokenizer.ts";
import { golden } from "../../tests/support/goldens.ts";

// Goldens: transformers v4.27 slow tokenizers' batch_decode(skip_special_tokens=True), with and
// without clean-up (tests/fixtures/ORACLE.md).
const FIXTURES = new URL("../../tests/fixtures/", import.meta.url);
const TEXT_FILES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
];

async function modelFiles(model: string, withJson: boolean): Promise<ModelFiles> {
  const entries: Record<string, string> = {};
  for (const f of TEXT_FILES) {
    if (f === "tokenizer.json" && !withJson) continue;
    entries[f] = await Deno.readTextFile(new URL(`models/${model}/${f}`, FIXTURES));
  }
  return memoryFiles(model, entries);
}

const cache = new Map<string, TextTokenizer>();
async function tokenizer(model: string, withJson: boolean): Promise<TextTokenizer> {
  const key = `${model}:${withJson}`;
  if (!cache.has(key)) cache.set(key, await loadTokenizer(await modelFiles(model, withJson)));
  return cache.get(key)!;
}

for (const model of ["vit-gpt2", "trocr"]) {
  for (const withJson of [true, false]) {
    const via = withJson ? "tokenizer.json" : "vocab.json + merges.txt";
    Deno.test(`${model} via ${via}: every golden sequence decodes to its text`, async () => {
      const tok = await tokenizer(model, withJson);
      const g = await golden(model);
      let rows = 0;
      for (const c of g.generate) {
        assert.deepEqual(tok.batchDecode(c.sequences, { skipSpecialTokens: true }), c.text, c.name);
        assert.deepEqual(
          tok.batchDecode(c.sequences, {
            skipSpecialTokens: true,
            cleanUpTokenizationSpaces: false,
          }),
          c.text_no_cleanup,
          c.name,
        );
        rows += c.sequences.length;
      }
      assert.ok(rows >= 15);
    });

    Deno.test(`${model} via ${via}: label texts encode to the golden label ids`, async () => {
      const tok = await tokenizer(model, withJson);
      const g = await golden(model);
      const eos = g.special_tokens.eos_token_id;
      g.loss.label_texts.forEach((text, i) => {
        const want = g.loss.labels[i].filter((id) => id !== -100);
        assert.deepEqual([...tok.encode(text, { addSpecialTokens: false }), eos], want, text);
      });
    });

    Deno.test(`${model} via ${via}: special token ids match the model's`, async () => {
      const tok = await tokenizer(model, withJson);
      const g = await golden(model);
      assert.equal(tok.specialTokenIds.eos, g.special_tokens.eos_token_id);
      if (model === "trocr") {
        assert.deepEqual(tok.specialTokenIds, {
          bos: 0,
          eos: 2,
          unk: 3,
          sep: 2,
          pad: 1,
          cls: 0,
          mask: 320,
        });
        assert.deepEqual([...tok.allSpecialIds].sort((a, b) => a - b), [0, 1, 2, 3, 320]);
        assert.equal(tok.size, 321);
      } else {
        assert.deepEqual(tok.allSpecialIds, [50256]);
        assert.equal(tok.specialTokenIds.pad, null);
        assert.equal(tok.size, 50257);
      }
    });
  }
}

Deno.test("decode() keeps special tokens unless asked, and cleans up spaces by default", async () => {
  for (const withJson of [true, false]) {
    const tok = await tokenizer("vit-gpt2", withJson);
    const ids = ["ĠHello", "Ġ,", "Ġworld", "Ġ.", "Ġit", "Ġ'", "Ġs", "Ġdon", "'t", "Ġ!"].map((t) =>
      tok.tokenToId(t)!
    );
    ids.unshift(50256);
    ids.push(50256);
    // Python: "".join(tokens) byte-decoded, then clean_up_tokenization (" ," -> ",", " ." -> ".",
    // " !" -> "!"; " ' " -> "'").
    assert.equal(
      tok.decode(ids, { cleanUpTokenizationSpaces: false }),
      "<|endoftext|> Hello , world . it ' s don't !<|endoftext|>",
    );
    assert.equal(tok.decode(ids), "<|endoftext|> Hello, world. it's don't!<|endoftext|>");
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), " Hello, world. it's don't!");
    assert.equal(tok.decode([]), "");
    assert.throws(() => tok.decode([50257]), RangeError);
  }
});

Deno.test("trocr encode() with special tokens wraps in <s> ... </s> as RobertaTokenizer does", async () => {
  for (const withJson of [true, false]) {
    const tok = await tokenizer("trocr", withJson);
    const ids = tok.encode("a red car");
    assert.deepEqual(ids, [0, 101, 36, 263, 104, 283, 306, 2]);
    assert.equal(tok.decode(ids), "<s>a red car</s>");
  }
});

Deno.test("invalid UTF-8 byte runs decode to U+FFFD as Python's errors='replace'", async () => {
  for (const withJson of [true, false]) {
    const tok = await tokenizer("trocr", withJson);
    // "Ļ" is byte 0x9b (a lone continuation byte), "ċ" 0x0b; golden greedy: [2, 213, 29, 2].
    assert.equal(tok.decode([2, 213, 29, 2], { skipSpecialTokens: true }), "\ufffd\x19");
  }
});

Deno.test("tokens added outside the vocabulary decode verbatim, joined by spaces as in Python", async () => {
  const base = await modelFiles("trocr", false);
  const entries: Record<string, string> = { "added_tokens.json": '{"<new>": 321}' };
  for (
    const f of ["tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"]
  ) {
    entries[f] = new TextDecoder().decode(await base.read(f));
  }
  const slow = await loadTokenizer(memoryFiles("trocr+added", entries));
  // Python: sub_texts ["a", "<new>", "a"] joined with " " (spaces_between_special_tokens).
  assert.equal(slow.decode([101, 321, 101]), "a <new> a");
  // A plain added token strips the spaces on both sides when splitting (v4.27 tokenize()).
  assert.deepEqual(slow.encode("a <new> a", { addSpecialTokens: false }), [101, 321, 101]);
  assert.equal(slow.size, 322);
  const json = JSON.parse(
    await Deno.readTextFile(new URL("models/trocr/tokenizer.json", FIXTURES)),
  );
  json.added_tokens.push({
    id: 321,
    content: "<new>",
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: false,
  });
  entries["tokenizer.json"] = JSON.stringify(json);
  const fast = await loadTokenizer(memoryFiles("trocr+added", entries));
  assert.equal(fast.decode([101, 321, 101]), "a <new> a");
  assert.equal(fast.decode([2, 101, 321, 2], { skipSpecialTokens: true }), "a <new>");
});

Deno.test("a model with no tokenizer files, or only a SentencePiece model, is refused clearly", async () => {
  await assert.rejects(
    () => loadTokenizer(memoryFiles("empty", {})),
    /found none of tokenizer\.json/,
  );
  await assert.rejects(
    () => loadTokenizer(memoryFiles("mbart", { "sentencepiece.bpe.model": new Uint8Array(4) })),
    /only sentencepiece\.bpe\.model/,
  );
});
