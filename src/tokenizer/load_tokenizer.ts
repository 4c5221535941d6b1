/**
 * Picks and builds a model's tokenizer from its files: tokenizer.json when present (through
 * @huggingface/tokenizers), else vocab.json + merges.txt (byte-level BPE: GPT2, RoBERTa, BART),
 * else vocab.txt (WordPiece: BERT). SentencePiece-only models (sentencepiece.bpe.model, MBart,
 * XLM-R) need their tokenizer.json.
 * @module
 */
import { type ModelFiles, readJson, readText } from "../hub/model_files.ts";
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { ByteLevelBpe, parseMerges } from "./byte_level_bpe.ts";
import { FastTokenizer } from "./fast_tokenizer.ts";
import { SlowTokenizer, type SpecialWrap } from "./slow_tokenizer.ts";
import { allSpecialTokens, readTokenizerSettings } from "./special_tokens.ts";
import type { TextTokenizer } from "./text_tokenizer.ts";
import { parseVocabTxt, WordPiece } from "./wordpiece.ts";

/** Options of loadTokenizer. */
export interface LoadTokenizerOptions {
  /** Ignore tokenizer.json and build from the vocabulary files (for testing the fallback). */
  preferVocabFiles?: boolean;
}

function asObject(v: unknown, path: string, id: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ModelLoadError(`Cannot load ${path} from ${id}: expected a JSON object`);
  }
  return v as Record<string, unknown>;
}

/**
 * Loads the tokenizer of a model.
 * @param files the model's files
 * @param options preferVocabFiles
 * @returns the tokenizer
 * @example
 * ```ts
 * import { memoryFiles } from "../hub/model_files.ts";
 * import { loadTokenizer } from "./load_tokenizer.ts";
 * const files = memoryFiles("tiny", { "vocab.txt": "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n" });
 * const tok = await loadTokenizer(files);
 * console.assert(tok.decode(tok.encode("Hello")) === "[CLS] hello [SEP]");
 * ```
 */
export async function loadTokenizer(
  files: ModelFiles,
  options: LoadTokenizerOptions = {},
): Promise<TextTokenizer> {
  const hasJson = !options.preferVocabFiles && await files.has("tokenizer.json");
  if (hasJson) {
    const settings = await readTokenizerSettings(files);
    const json = asObject(await readJson(files, "tokenizer.json"), "tokenizer.json", files.id);
    return new FastTokenizer(json, settings, files.id);
  }
  if (await files.has("vocab.json") && await files.has("merges.txt")) {
    const settings = await readTokenizerSettings(files, "GPT2Tokenizer");
    const vocab = asObject(await readJson(files, "vocab.json"), "vocab.json", files.id);
    const merges = parseMerges(await readText(files, "merges.txt"));
    const isGpt2 = settings.tokenizerClass === "GPT2Tokenizer";
    const c = settings.config;
    const model = new ByteLevelBpe(vocab as Record<string, number>, merges, {
      addPrefixSpace: c.add_prefix_space === true,
      prefixOnlyIfNoSpace: !isGpt2,
      errors: typeof c.errors === "string" ? c.errors : "replace",
    });
    const wrap: SpecialWrap = isGpt2 ? (c.add_bos_token === true ? "bos" : "none") : "cls_sep";
    return new SlowTokenizer(model, settings, wrap, files.id);
  }
  if (await files.has("vocab.txt")) {
    const settings = await readTokenizerSettings(files, "BertTokenizer");
    const c = settings.config;
    const bool = (k: string): boolean | undefined => typeof c[k] === "boolean" ? c[k] : undefined;
    const model = new WordPiece(parseVocabTxt(await readText(files, "vocab.txt")), {
      do_lower_case: bool("do_lower_case"),
      do_basic_tokenize: bool("do_basic_tokenize"),
      tokenize_chinese_chars: bool("tokenize_chinese_chars"),
      strip_accents: bool("strip_accents") ?? null,
      never_split: allSpecialTokens(settings).map((t) => t.content),
      unk_token: settings.special.unk_token?.content ?? "[UNK]",
    });
    return new SlowTokenizer(model, settings, "cls_sep", files.id);
  }
  for (const sp of ["sentencepiece.bpe.model", "spiece.model", "tokenizer.model"]) {
    if (await files.has(sp)) {
      throw new UnsupportedModelError(
        `Cannot load the tokenizer of ${files.id}: it has only ${sp} (SentencePiece), which vedge ` +
          "reads through tokenizer.json; add the model's tokenizer.json",
      );
    }
  }
  throw new ModelLoadError(
    `Cannot load the tokenizer of ${files.id}: found none of tokenizer.json, ` +
      "vocab.json + merges.txt, vocab.txt",
  );
}
