/**
 * What torch.save pickles, read without torch and without executing anything: the allowlist of
 * globals a state_dict pickle may name, our stand-ins for them (storage types, tensor and
 * parameter rebuilds, OrderedDict), and the step that turns the unpickled dict into tensors over
 * the storages' bytes (offsets, strides and shared storages included).
 * @module
 */
import { ModelLoadError, UnsupportedModelError } from "../errors.ts";
import { describe, type PickleCallable, type PickleValue, type UnpickleOptions } from "./pickle.ts";
import type { WeightMap } from "./weight_map.ts";
import { DTYPE_BYTES, formatShape, numel, type WeightDtype } from "./weight_tensor.ts";

/** torch's pickled storage class names and the dtypes they hold. */
const STORAGE_DTYPES: Readonly<Record<string, WeightDtype>> = {
  DoubleStorage: "F64",
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

/** A storage class reference (`torch.FloatStorage`), standing for its dtype. */
export class StorageType implements PickleCallable {
  /**
   * @param qualifiedName e.g. `torch.HalfStorage`
   * @param dtype the element type it holds
   */
  constructor(readonly qualifiedName: string, readonly dtype: WeightDtype) {}
  /** Storages are never constructed from a pickle, only named by persistent ids. */
  call(): never {
    throw new ModelLoadError(`Refusing to construct ${this.qualifiedName} inside a pickle`);
  }
}

/** A storage named by a persistent id: which record holds it, and which part of it is used. */
export interface StorageRef {
  /** Record key (`data/<key>` in zip checkpoints; the root key in legacy files). */
  key: string;
  /** Element type. */
  dtype: WeightDtype;
  /** Elements in this (view of the) storage. */
  numel: number;
  /** Elements before this view in the root storage (legacy storage views); 0 otherwise. */
  elementOffset: number;
}

/** A tensor as `_rebuild_tensor_v2` describes it, before its bytes are gathered. */
export class TensorRef {
  /**
   * @param storage the storage it views
   * @param offset first element, in elements of the storage
   * @param size dimensions
   * @param stride element strides
   */
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function counts(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isCount)) {
    throw new ModelLoadError(`Cannot rebuild a tensor: ${what} is not a tuple of ints`);
  }
  return [...v] as number[];
}

function isStorageRef(v: unknown): v is StorageRef {
  return typeof v === "object" && v !== null && "key" in v && "dtype" in v && "numel" in v;
}

function rebuildTensor(name: string): PickleCallable {
  return {
    qualifiedName: name,
    call(args) {
      const [storage, offset, size, stride] = args;
      if (!isStorageRef(storage)) {
        throw new ModelLoadError(`Cannot rebuild a tensor: ${name} got a ${describe(storage)}`);
      }
      if (!isCount(offset)) throw new ModelLoadError(`Cannot rebuild a tensor: bad storage offset`);
      return new TensorRef(storage, offset, counts(size, "size"), counts(stride, "stride"));
    },
  };
}

function passData(name: string): PickleCallable {
  return {
    qualifiedName: name,
    call(args) {
      if (!(args[0] instanceof TensorRef)) {
        throw new ModelLoadError(`Cannot rebuild a parameter: ${name} got a ${describe(args[0])}`);
      }
      return args[0];
    },
  };
}

const GLOBALS: Readonly<Record<string, () => PickleCallable>> = {
  "collections.OrderedDict": () => ({
    qualifiedName: "collections.OrderedDict",
    call: (args) => new Map(Array.isArray(args[0]) ? args[0].map((kv) => [kv[0], kv[1]]) : []),
  }),
  "torch._utils._rebuild_tensor": () => rebuildTensor("torch._utils._rebuild_tensor"),
  "torch._utils._rebuild_tensor_v2": () => rebuildTensor("torch._utils._rebuild_tensor_v2"),
  "torch._utils._rebuild_parameter": () => passData("torch._utils._rebuild_parameter"),
  "torch._utils._rebuild_parameter_with_state": () =>
    passData("torch._utils._rebuild_parameter_with_state"),
  // Protocol 2 pickles `bytes` as _codecs.encode(text, "latin1"); we decode it ourselves.
  "_codecs.encode": () => ({
    qualifiedName: "_codecs.encode",
    call(args) {
      const [s, enc] = args;
      if (typeof s !== "string" || (enc !== "latin1" && enc !== "latin-1")) {
        throw new ModelLoadError(`Refusing _codecs.encode with encoding ${String(enc)}`);
      }
      return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    },
  }),
};

/**
 * The global resolver for torch checkpoints: allowlisted names map to our stand-ins, anything
 * else (`posix.system`, `builtins.eval`, ...) is refused before it can be used.
 * @param source the pickle's name for messages
 * @returns a resolver for {@link UnpickleOptions.resolveGlobal}
 */
export function torchGlobals(source: string): UnpickleOptions["resolveGlobal"] {
  return (module, name) => {
    const q = `${module}.${name}`;
    if ((module === "torch" || module === "torch.cuda") && name.endsWith("Storage")) {
      const dtype = STORAGE_DTYPES[name];
      if (dtype) return new StorageType(q, dtype);
      throw new UnsupportedModelError(`Cannot load ${source}: storage type ${q} is not supported`);
    }
    const make = Object.hasOwn(GLOBALS, q) ? GLOBALS[q] : undefined;
    if (!make) {
      throw new ModelLoadError(
        `Cannot load ${source}: the pickle references the global ${q}, which is not on the ` +
          `allowlist of tensor-checkpoint globals; refused, nothing was executed`,
      );
    }
    return make();
  };
}

/**
 * BUILD handler for torch pickles: a state_dict OrderedDict may carry `_metadata` (ignored).
 * @param target the value being built
 * @param state its state
 * @returns whether the BUILD is accepted
 */
export function torchBuild(target: PickleValue, state: PickleValue): boolean {
  return target instanceof Map && (state === null || state instanceof Map);
}

/**
 * Reads a persistent id's storage type and turns it into a StorageType.
 * @param v the pickled storage class
 * @param source messages' source
 * @returns the storage type
 */
export function asStorageType(v: PickleValue, source: string): StorageType {
  if (v instanceof StorageType) return v;
  throw new ModelLoadError(
    `Cannot load ${source}: persistent id names a ${describe(v)}, not a storage`,
  );
}

/**
 * Turns the unpickled top-level dict into named tensors, gathering each tensor's bytes from its
 * storage: a view when it is contiguous (tied weights share bytes), a copy otherwise.
 * @param value the unpickled object (must be a dict of str -> tensor)
 * @param storageBytes returns all bytes of the root storage `key` (checked against its size)
 * @param source messages' source
 * @returns tensors in the dict's order
 */
export function collectStateDict(
  value: PickleValue,
  storageBytes: (ref: StorageRef) => Uint8Array,
  source: string,
): WeightMap {
  if (!(value instanceof Map)) {
    throw new ModelLoadError(
      `Cannot load ${source}: the pickle holds a ${describe(value)}, not a state_dict`,
    );
  }
  const out: WeightMap = new Map();
  for (const [name, t] of value) {
    if (typeof name !== "string") {
      throw new ModelLoadError(
        `Cannot load ${source}: state_dict key ${String(name)} is not a string`,
      );
    }
    if (!(t instanceof TensorRef)) {
      throw new ModelLoadError(
        `Cannot load ${source}: entry ${name} is a ${describe(t)}, not a tensor ` +
          `(a training checkpoint rather than a state_dict?)`,
      );
    }
    out.set(name, {
      dtype: t.storage.dtype,
      shape: t.size,
      data: gather(t, storageBytes, name, source),
    });
  }
  return out;
}

function gather(
  t: TensorRef,
  storageBytes: (ref: StorageRef) => Uint8Array,
  name: string,
  source: string,
): Uint8Array {
  const es = DTYPE_BYTES[t.storage.dtype];
  const n = numel(t.size);
  if (t.size.length !== t.stride.length) {
    throw new ModelLoadError(`Cannot load ${name} from ${source}: size and stride differ in rank`);
  }
  if (n === 0) return new Uint8Array(0);
  let last = t.offset;
  for (let i = 0; i < t.size.length; i++) last += (t.size[i] - 1) * t.stride[i];
  if (last >= t.storage.numel) {
    throw new ModelLoadError(
      `Cannot load ${name} from ${source}: ${formatShape(t.size)} at offset ${t.offset} with ` +
        `strides ${
          formatShape(t.stride)
        } reaches element ${last} of a ${t.storage.numel}-element storage`,
    );
  }
  const all = storageBytes(t.storage);
  const base = (t.storage.elementOffset + t.offset) * es;
  let contiguous = true;
  for (let i = t.size.length - 1, want = 1; i >= 0; i--) {
    if (t.size[i] !== 1 && t.stride[i] !== want) contiguous = false;
    want *= t.size[i];
  }
  if (contiguous) return all.subarray(base, base + n * es);
  // Non-contiguous (e.g. a transposed view saved as is): copy element by element, row-major.
  const out = new Uint8Array(n * es);
  const idx = new Array<number>(t.size.length).fill(0);
  let src = base;
  for (let k = 0; k < n; k++) {
    out.set(all.subarray(src, src + es), k * es);
    for (let d = t.size.length - 1; d >= 0; d--) {
      idx[d]++;
      src += t.stride[d] * es;
      if (idx[d] < t.size[d]) break;
      src -= t.size[d] * t.stride[d] * es;
      idx[d] = 0;
    }
  }
  return out;
}
