/**
 * A tokenizer.json (Hugging Face `tokenizers` format) run by @huggingface/tokenizers 0.2.0, with
 * decoding made to equal Python's slow tokenizers (transformers v4.27): special ids come from the
 * special-token files, tokens added outside the vocabulary are kept verbatim and joined with
 * spaces, and the clean-up of spaces is ours (the library's WordPiece decoder cleans up per token
 * whatever it is asked, so its `cleanup` is switched off). The library throws on an empty id list
 * and maps unknown ids to its unk token; here empty decodes to "" and unknown ids throw RangeError
 * (WordPiece: the unk token, as BertTokenizer does). SentencePiece tokenizers (a `Metaspace`
 * decoder) join each run's tokens as the slow SentencePiece tokenizers do (`metaspace_decode.ts`).
 * @module
 */
import { Tokenizer } from "npm:@huggingface/tokenizers@0.2.0";
import { ModelLoadError } from "../errors.ts";
import { pythonDecode } from "./python_decode.ts";
import { metaspaceReplacement, metaspaceTokensToString } from "./metaspace_decode.ts";
import { allSpecialTokens, SPECIAL_TOKEN_KEYS, type TokenizerSettings } from "./special_tokens.ts";
import type {
  DecodeOptions,
  EncodeOptions,
  SpecialTokenIds,
  TextTokenizer,
} from "./text_tokenizer.ts";

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

function withoutDecoderCleanup(decoder: unknown): unknown {
  if (decoder === null || typeof decoder !== "object") return decoder;
  const d = { ...(decoder as Record<string, unknown>) };
  if (d.type === "WordPiece") d.cleanup = false;
  if (Array.isArray(d.decoders)) d.decoders = d.decoders.map(withoutDecoderCleanup);
  return d;
}

/** tokenizer.json through @huggingface/tokenizers, decoding as Python's slow tokenizers do. */
export class FastTokenizer implements TextTokenizer {
  readonly size: number;
  readonly specialTokenIds: Readonly<SpecialTokenIds>;
  readonly allSpecialIds: readonly number[];
  readonly #lib: Tokenizer;
  readonly #added = new Map<number, string>();
  readonly #specialIdSet: Set<number>;
  readonly #unknownIsUnk: boolean;
  readonly #metaspace: string | null;

  /**
   * @param tokenizerJson parsed tokenizer.json
   * @param settings special tokens from tokenizer_config.json / special_tokens_map.json
   * @param source model id, for messages
   */
  constructor(tokenizerJson: Record<string, unknown>, settings: TokenizerSettings, source: string) {
    const json: Record<string, unknown> = {
      ...tokenizerJson,
      decoder: withoutDecoderCleanup(tokenizerJson.decoder),
    };
    const model = (json.model ?? {}) as { type?: string; vocab?: unknown };
    try {
      this.#lib = new Tokenizer(json, { ...settings.config, clean_up_tokenization_spaces: false });
    } catch (e) {
      throw new ModelLoadError(
        `Cannot load tokenizer.json from ${source}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.#unknownIsUnk = model.type === "WordPiece";
    this.#metaspace = metaspaceReplacement(tokenizerJson.decoder);
    const inVocab = new Set<string>();
    if (Array.isArray(model.vocab)) {
      for (const v of model.vocab) inVocab.add(Array.isArray(v) ? String(v[0]) : String(v));
    } else if (model.vocab !== null && typeof model.vocab === "object") {
      for (const k of Object.keys(model.vocab)) inVocab.add(k);
    }
    const addedJson =
      (Array.isArray(json.added_tokens) ? json.added_tokens : []) as AddedTokenJson[];
    // Python's slow tokenizer keeps only tokens outside the vocabulary as added tokens.
    for (const t of addedJson) if (!inVocab.has(t.content)) this.#added.set(t.id, t.content);
    let maxId = -1;
    for (const id of this.#lib.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.size = maxId + 1;
    const idOf = (content: string): number | null => this.#lib.token_to_id(content) ?? null;
    const ids = {} as Record<string, number | null>;
    for (const key of SPECIAL_TOKEN_KEYS) {
      const t = settings.special[key];
      ids[key.replace("_token", "")] = t === null ? null : idOf(t.content);
    }
    this.specialTokenIds = ids as unknown as SpecialTokenIds;
    const specials = allSpecialTokens(settings);
    const special = specials.length > 0
      ? specials.map((t) => idOf(t.content) ?? this.specialTokenIds.unk)
      : addedJson.filter((t) => t.special === true).map((t) => t.id);
    this.allSpecialIds = [...new Set(special.filter((id): id is number => id !== null))];
    this.#specialIdSet = new Set(this.allSpecialIds);
  }

  /** @inheritdoc */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.#lib.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** @inheritdoc */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    return pythonDecode(ids, {
      specialIds: this.#specialIdSet,
      addedToken: (id) => this.#added.get(id),
      decodeRun: (run) => {
        const tokens = run.map((id) => {
          const token = this.#lib.id_to_token(id);
          if (!this.#unknownIsUnk && token === undefined) {
            throw new RangeError(
              `Cannot decode token id ${id}: the tokenizer knows ids 0..${this.size - 1}`,
            );
          }
          return token ?? "";
        });
        if (this.#metaspace !== null) return metaspaceTokensToString(tokens, this.#metaspace);
        return this.#lib.decode(run, {
          skip_special_tokens: false,
          clean_up_tokenization_spaces: false,
        });
      },
    }, options);
  }

  /** @inheritdoc */
  batchDecode(rows: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return rows.map((r) => this.decode(r, options));
  }

  /** @inheritdoc */
  tokenToId(token: string): number | null {
    return this.#lib.token_to_id(token) ?? null;
  }

  /** @inheritdoc */
  idToToken(id: number): string | null {
    return this.#lib.id_to_token(id) ?? null;
  }
}
