/**
 * The special tokens of a tokenizer as Python's `from_pretrained` (transformers v4.27) resolves
 * them: the tokenizer class's defaults, then tokenizer_config.json, then special_tokens_map.json
 * (which wins), plus added_tokens.json. Also the `AddedToken` flags that decide whether a special
 * token eats the whitespace around it when text is split.
 * @module
 */
import { type ModelFiles, readJson } from "../hub/model_files.ts";
import { ModelLoadError } from "../errors.ts";

/** One special token: its text and Python's AddedToken stripping flags. */
export interface SpecialToken {
  readonly content: string;
  /** Eats whitespace on its left. */
  readonly lstrip: boolean;
  /** Eats whitespace on its right. */
  readonly rstrip: boolean;
  /** False for a plain Python str, which eats whitespace on both sides when splitting. */
  readonly isAddedToken: boolean;
}

/** The named special-token attributes, in Python's SPECIAL_TOKENS_ATTRIBUTES order. */
export const SPECIAL_TOKEN_KEYS = [
  "bos_token",
  "eos_token",
  "unk_token",
  "sep_token",
  "pad_token",
  "cls_token",
  "mask_token",
] as const;

/** One of the named special-token attributes. */
export type SpecialTokenKey = typeof SPECIAL_TOKEN_KEYS[number];

/** What the tokenizer files say besides the vocabulary. */
export interface TokenizerSettings {
  /** tokenizer_class from tokenizer_config.json without a "Fast" suffix, or null. */
  readonly tokenizerClass: string | null;
  /** Named special tokens (null: the tokenizer has none). */
  readonly special: Readonly<Record<SpecialTokenKey, SpecialToken | null>>;
  /** additional_special_tokens. */
  readonly additional: readonly SpecialToken[];
  /** added_tokens.json: token -> id. */
  readonly addedTokens: ReadonlyMap<string, number>;
  /** tokenizer_config.json as read ({} when absent). */
  readonly config: Readonly<Record<string, unknown>>;
}

type Defaults = Partial<Record<SpecialTokenKey, string>>;
const ROBERTA_LIKE: Defaults = {
  bos_token: "<s>",
  eos_token: "</s>",
  sep_token: "</s>",
  cls_token: "<s>",
  unk_token: "<unk>",
  pad_token: "<pad>",
  mask_token: "<mask>",
};
// Each class's __init__ defaults; `wrap`: the class turns str arguments into AddedToken(lstrip=
// False, rstrip=False) (mask: lstrip=True), so they do not eat surrounding spaces.
const CLASS_DEFAULTS: Record<string, { tokens: Defaults; wrap: boolean }> = {
  GPT2Tokenizer: {
    tokens: { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>", unk_token: "<|endoftext|>" },
    wrap: true,
  },
  RobertaTokenizer: { tokens: ROBERTA_LIKE, wrap: true },
  BartTokenizer: { tokens: ROBERTA_LIKE, wrap: true },
  BertTokenizer: {
    tokens: {
      unk_token: "[UNK]",
      sep_token: "[SEP]",
      pad_token: "[PAD]",
      cls_token: "[CLS]",
      mask_token: "[MASK]",
    },
    wrap: false,
  },
};

function parseToken(v: unknown, key: string, where: string): SpecialToken | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") {
    return { content: v, lstrip: false, rstrip: false, isAddedToken: false };
  }
  if (typeof v === "object" && typeof (v as { content?: unknown }).content === "string") {
    const o = v as { content: string; lstrip?: unknown; rstrip?: unknown };
    return {
      content: o.content,
      lstrip: o.lstrip === true,
      rstrip: o.rstrip === true,
      isAddedToken: true,
    };
  }
  throw new ModelLoadError(`Cannot read ${where}: "${key}" is not a token string or AddedToken`);
}

async function optionalJson(files: ModelFiles, path: string): Promise<Record<string, unknown>> {
  if (!(await files.has(path))) return {};
  const v = await readJson(files, path);
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ModelLoadError(`Cannot load ${path} from ${files.id}: expected a JSON object`);
  }
  return v as Record<string, unknown>;
}

/**
 * Reads tokenizer_config.json, special_tokens_map.json and added_tokens.json (each optional).
 * @param files the model's files
 * @param defaultClass class to assume when tokenizer_config.json names none
 * @returns the resolved settings
 */
export async function readTokenizerSettings(
  files: ModelFiles,
  defaultClass: string | null = null,
): Promise<TokenizerSettings> {
  const config = await optionalJson(files, "tokenizer_config.json");
  const map = await optionalJson(files, "special_tokens_map.json");
  const added = await optionalJson(files, "added_tokens.json");
  const cls = typeof config.tokenizer_class === "string"
    ? config.tokenizer_class.replace(/Fast$/, "")
    : defaultClass;
  const defaults = CLASS_DEFAULTS[cls ?? ""] ?? { tokens: {}, wrap: false };
  const special = {} as Record<SpecialTokenKey, SpecialToken | null>;
  for (const key of SPECIAL_TOKEN_KEYS) {
    const raw = key in map ? map[key] : key in config ? config[key] : defaults.tokens[key];
    let tok = parseToken(raw, key, `tokenizer files of ${files.id}`);
    if (tok !== null && !tok.isAddedToken && defaults.wrap) {
      tok = {
        content: tok.content,
        lstrip: key === "mask_token",
        rstrip: false,
        isAddedToken: true,
      };
    }
    special[key] = tok;
  }
  const extraRaw = map.additional_special_tokens ?? config.additional_special_tokens ?? [];
  const additional = (Array.isArray(extraRaw) ? extraRaw : [])
    .map((v) => parseToken(v, "additional_special_tokens", `tokenizer files of ${files.id}`))
    .filter((t): t is SpecialToken => t !== null);
  const addedTokens = new Map<string, number>();
  for (const [tok, id] of Object.entries(added)) {
    if (typeof id !== "number" || !Number.isInteger(id)) {
      throw new ModelLoadError(
        `Cannot load added_tokens.json from ${files.id}: id of ${
          JSON.stringify(tok)
        } is not an integer`,
      );
    }
    addedTokens.set(tok, id);
  }
  return { tokenizerClass: cls, special, additional, addedTokens, config };
}

/**
 * Python's `all_special_tokens_extended`: named tokens in attribute order, then the additional
 * ones, without repeats.
 * @param settings the resolved settings
 * @returns the special tokens
 */
export function allSpecialTokens(settings: TokenizerSettings): SpecialToken[] {
  const seen = new Set<string>();
  const out: SpecialToken[] = [];
  for (const t of [...SPECIAL_TOKEN_KEYS.map((k) => settings.special[k]), ...settings.additional]) {
    if (t === null || seen.has(t.content)) continue;
    seen.add(t.content);
    out.push(t);
  }
  return out;
}
