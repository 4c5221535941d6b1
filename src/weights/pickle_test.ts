import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { type PickleCallable, unpickle } from "./pickle.ts";

// Made with CPython 3.11's pickle: for p in range(6): pickle.dumps(v, protocol=p).hex() where
// v = {"a": (1, 2.5, None, True, "é", b"xy", [1, 2], -70000, 2**70, -1), "b": {1: "x"}, "c": ["s", "s"]}
// (the two "s" are one memoised object from protocol 1 on).
const PICKLES = [
  "286470300a56610a70310a2849310a46322e350a4e4930310a56e90a70320a635f636f646563730a656e636f64650a70330a285678790a70340a566c6174696e310a70350a7470360a5270370a286c70380a49310a6149320a61492d37303030300a4c313138303539313632303731373431313330333432344c0a492d310a7470390a7356620a7031300a28647031310a49310a56780a7031320a737356630a7031330a286c7031340a56730a7031350a616731350a61732e",
  "7d7100285801000000617101284b014740040000000000004e4930310a5802000000c3a97102635f636f646563730a656e636f64650a71032858020000007879710458060000006c6174696e3171057471065271075d7108284b014b02654a90eefeff4c313138303539313632303731373431313330333432344c0a4affffffff747109580100000062710a7d710b4b01580100000078710c73580100000063710d5d710e28580100000073710f680f65752e",
  "80027d7100285801000000617101284b014740040000000000004e885802000000c3a97102635f636f646563730a656e636f64650a710358020000007879710458060000006c6174696e3171058671065271075d7108284b014b02654a90eefeff8a090000000000000000404affffffff747109580100000062710a7d710b4b01580100000078710c73580100000063710d5d710e28580100000073710f680f65752e",
  "80037d7100285801000000617101284b014740040000000000004e885802000000c3a971024302787971035d7104284b014b02654a90eefeff8a090000000000000000404affffffff74710558010000006271067d71074b0158010000007871087358010000006371095d710a28580100000073710b680b65752e",
  "8004955b000000000000007d94288c016194284b014740040000000000004e888c02c3a99443027879945d94284b014b02654a90eefeff8a090000000000000000404affffffff74948c0162947d944b018c017894738c0163945d94288c017394680b65752e",
  "8005955b000000000000007d94288c016194284b014740040000000000004e888c02c3a99443027879945d94284b014b02654a90eefeff8a090000000000000000404affffffff74948c0162947d944b018c017894738c0163945d94288c017394680b65752e",
];

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => Number.parseInt(h, 16));
}

const latin1Encode: PickleCallable = {
  qualifiedName: "_codecs.encode",
  call: ([s]) => Uint8Array.from(String(s), (c) => c.charCodeAt(0)),
};

PICKLES.forEach((hex, protocol) => {
  Deno.test(`unpickle() rebuilds CPython's protocol ${protocol} pickle of nested containers`, () => {
    const globals: string[] = [];
    const { value, end } = unpickle(bytesOf(hex), {
      source: "t",
      resolveGlobal: (m, n) => (globals.push(`${m}.${n}`), latin1Encode),
    });
    assert.equal(end, hex.length / 2);
    assert.ok(value instanceof Map);
    const a = value.get("a") as unknown[];
    assert.ok(Object.isFrozen(a), "tuples are frozen arrays");
    assert.deepEqual(a.slice(0, 5), [1, 2.5, null, true, "é"]);
    assert.deepEqual([...(a[5] as Uint8Array)], [0x78, 0x79]);
    assert.deepEqual(a.slice(6), [[1, 2], -70000, 2n ** 70n, -1]);
    assert.deepEqual(value.get("b"), new Map([[1, "x"]]));
    assert.deepEqual(value.get("c"), ["s", "s"]);
    assert.deepEqual(globals, protocol < 3 ? ["_codecs.encode"] : []);
  });
});

Deno.test("unpickle() refuses a global before anything uses it, and refuses INST / OBJ opcodes", () => {
  // pickle.dumps(os.system-reducing object, protocol=2): GLOBAL 'posix system', then REDUCE.
  const evil = bytesOf(
    "800263706f7369780a73797374656d0a71005807000000746f756368207871018571025271032e",
  );
  let called = false;
  assert.throws(
    () =>
      unpickle(evil, {
        source: "evil",
        resolveGlobal: (m, n) => {
          throw new ModelLoadError(`refused ${m}.${n}`);
        },
        persistentLoad: () => (called = true),
      }),
    /refused posix\.system/,
  );
  assert.equal(called, false);
  // INST (protocol 0 class instantiation) is never supported.
  const inst = new TextEncoder().encode("(iposix\nsystem\n.");
  assert.throws(
    () => unpickle(inst, { source: "inst", resolveGlobal: () => latin1Encode }),
    /opcode 0x69 is not supported \(refused\)/,
  );
  assert.throws(
    () => unpickle(bytesOf("80025801000000"), { source: "cut", resolveGlobal: () => latin1Encode }),
    /Cannot unpickle cut: truncated/,
  );
});
