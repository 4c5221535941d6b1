/**
 * A pickle virtual machine for checkpoint files that never executes anything: it builds plain
 * values (numbers, strings, arrays for tuples and lists, Maps for dicts) and hands every global
 * reference to a resolver, which either returns one of OUR functions standing for it or throws.
 * Opcodes of protocols 0-5 that checkpoints use are implemented (see Python's pickletools for the
 * specification); INST, OBJ, EXT* and out-of-band buffers are refused. The file is one state
 * machine (the opcode loop and its stack), which is why it runs past 400 lines.
 * @module
 */
import { ModelLoadError } from "../errors.ts";

/** A value produced by the VM. Tuples are frozen arrays; dicts are Maps. */
export type PickleValue = unknown;

/** What a resolved global stands for: our own implementation, never the file's. */
export interface PickleCallable {
  /** `module.name` as pickled, for messages. */
  readonly qualifiedName: string;
  /** REDUCE / NEWOBJ: build the value from the argument tuple. */
  call(args: readonly PickleValue[]): PickleValue;
}

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /**
   * Maps a GLOBAL / STACK_GLOBAL reference to our implementation; must throw (ModelLoadError
   * naming `module.name`) for anything not allowed. Called before the global is used.
   */
  resolveGlobal(module: string, name: string): PickleCallable;
  /** Resolves a persistent id (BINPERSID / PERSID); absent: persistent ids are refused. */
  persistentLoad?(pid: PickleValue): PickleValue;
  /** BUILD on a value: apply state; absent or returning false: refuse. */
  build?(target: PickleValue, state: PickleValue): boolean;
  /** Name of the pickle for messages, e.g. `archive/data.pkl in pytorch_model.bin`. */
  source: string;
}

/** The result of one pickle. */
export interface Unpickled {
  /** The top-of-stack value at STOP. */
  value: PickleValue;
  /** Offset just past the STOP opcode (legacy torch files hold several pickles in a row). */
  end: number;
}

/**
 * Runs one pickle from `bytes[start]` to its STOP opcode.
 * @param bytes buffer holding the pickle
 * @param options global resolver, persistent-id loader, messages' source; `start` offset
 * @returns the value and where the pickle ended
 * @throws ModelLoadError for refused globals and opcodes, truncation and malformed streams
 */
export function unpickle(
  bytes: Uint8Array,
  options: UnpickleOptions & { start?: number },
): Unpickled {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder("utf-8", { fatal: true });
  let pos = options.start ?? 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const fail = (what: string): ModelLoadError =>
    new ModelLoadError(`Cannot unpickle ${options.source}: ${what} (at byte ${pos})`);

  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > bytes.byteLength) throw fail(`truncated: needs ${n} more bytes`);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => take(1)[0];
  const u16 = (): number => (take(2), dv.getUint16(pos - 2, true));
  const u32 = (): number => (take(4), dv.getUint32(pos - 4, true));
  const u64 = (): number => {
    take(8);
    const v = dv.getBigUint64(pos - 8, true);
    if (v > BigInt(bytes.byteLength)) throw fail(`length ${v} exceeds the data`);
    return Number(v);
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw fail("truncated: missing end of line");
    const s = new TextDecoder("latin1").decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const str = (n: number): string => {
    try {
      return text.decode(take(n));
    } catch (e) {
      throw fail(`string is not UTF-8 (${(e as Error).message})`);
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) {
      throw fail("stack underflow");
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw fail("stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw fail("MARK expected");
    return stack.splice(m);
  };
  const getMemo = (k: number): unknown => {
    if (!memo.has(k)) throw fail(`memo key ${k} was never stored`);
    return memo.get(k);
  };
  const callable = (f: unknown, op: string): PickleCallable => {
    if (typeof f === "object" && f !== null && "call" in f && "qualifiedName" in f) {
      return f as PickleCallable;
    }
    throw fail(`${op} on a ${describe(f)}, not a resolved global`);
  };
  const setItems = (d: unknown, kv: unknown[]): void => {
    if (!(d instanceof Map)) throw fail(`SETITEM(S) on a ${describe(d)}`);
    if (kv.length % 2) throw fail("odd number of items for SETITEMS");
    for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const appendAll = (l: unknown, items: unknown[]): void => {
    if (!Array.isArray(l) || Object.isFrozen(l)) throw fail(`APPEND(S) on a ${describe(l)}`);
    l.push(...items);
  };
  const global = (module: string, name: string): PickleCallable =>
    options.resolveGlobal(module, name);
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.byteLength === 0) return 0;
    let v = 0n;
    for (let i = b.byteLength - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.byteLength - 1] & 0x80) v -= 1n << BigInt(8 * b.byteLength);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail("pickle protocol above 5");
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw fail("malformed stream at STOP");
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        take(4);
        stack.push(dv.getInt32(pos - 4, true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: { // INT (protocol 0; "01"/"00" are booleans)
        const s = line();
        if (s === "01" || s === "00") stack.push(s === "01");
        else stack.push(parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (protocol 0)
        stack.push(parseIntText(line().replace(/L$/, ""), fail));
        break;
      case 0x8a: // LONG1
        stack.push(longFromBytes(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = u32();
        if (n > 1024) throw fail(`LONG4 of ${n} bytes`);
        stack.push(longFromBytes(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        take(8);
        stack.push(dv.getFloat64(pos - 8, false));
        break;
      case 0x46: // FLOAT (protocol 0)
        stack.push(Number.parseFloat(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x56: // UNICODE (protocol 0: raw-unicode-escape text line)
        stack.push(
          line().replace(
            /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
            (_, a, b) => String.fromCodePoint(Number.parseInt(a ?? b, 16)),
          ),
        );
        break;
      case 0x54: // BINSTRING (Python 2 str; torch.load decodes with utf-8)
        stack.push(str(u32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(str(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: // TUPLE
        stack.push(Object.freeze(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        appendAll(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendAll(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail(`ADDITEMS on a ${describe(s)}`);
        for (const v of items) s.add(v);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x68: // BINGET
        stack.push(getMemo(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(getMemo(u32()));
        break;
      case 0x67: // GET
        stack.push(getMemo(Number(parseIntText(line(), fail))));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x70: // PUT
        memo.set(Number(parseIntText(line(), fail)), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          throw fail("STACK_GLOBAL needs two strings");
        }
        stack.push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const f = callable(pop(), "REDUCE");
        if (!Array.isArray(args)) {
          throw fail(`REDUCE of ${f.qualifiedName} with a ${describe(args)}`);
        }
        stack.push(f.call(args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const f = callable(pop(), "NEWOBJ");
        if (!Array.isArray(args)) {
          throw fail(`NEWOBJ of ${f.qualifiedName} with a ${describe(args)}`);
        }
        stack.push(f.call(args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        if (!options.build?.(top(), state)) throw fail(`BUILD on a ${describe(top())} is refused`);
        break;
      }
      case 0x51: // BINPERSID
        if (!options.persistentLoad) throw fail("persistent ids are not allowed here");
        stack.push(options.persistentLoad(pop()));
        break;
      case 0x50: // PERSID
        if (!options.persistentLoad) throw fail("persistent ids are not allowed here");
        stack.push(options.persistentLoad(line()));
        break;
      default:
        pos = at;
        throw fail(`opcode 0x${op.toString(16).padStart(2, "0")} is not supported (refused)`);
    }
  }
}

function parseIntText(s: string, fail: (w: string) => ModelLoadError): number | bigint {
  if (!/^[+-]?\d+$/.test(s.trim())) throw fail(`bad integer ${JSON.stringify(s)}`);
  const v = BigInt(s.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/**
 * Names a pickle value's kind for messages.
 * @param v any VM value
 * @returns e.g. "tuple", "dict", "int", "torch._utils._rebuild_tensor_v2"
 */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (Array.isArray(v)) return Object.isFrozen(v) ? "tuple" : "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "object" && "qualifiedName" in v) return String(v.qualifiedName);
  return typeof v;
}
