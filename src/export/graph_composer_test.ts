import assert from "node:assert/strict";
import { GraphBuilder } from "../graph/builder.ts";
import { GraphComposer } from "./graph_composer.ts";

function scaled(name: string, factor: number): GraphBuilder {
  const b = new GraphBuilder({ name });
  const x = b.input("x", "float32", [2]);
  const w = b.initializerF32("shared.weight", Float32Array.of(1, 2), [2]);
  b.output("y", b.mul(b.mul(x, w), b.constF32(factor)), "float32", [2]);
  return b;
}

Deno.test("GraphComposer.splice() pools one copy of an identical initializer and renames a different one of the same name", () => {
  const c = new GraphComposer(["x"]);
  const a = c.splice(scaled("a", 2).toGraph(), { prefix: "a/", inputs: { x: "x" } });
  const b = c.splice(scaled("b", 3).toGraph(), {
    prefix: "b/",
    inputs: { x: "x" },
    outputs: { y: "y" },
  });
  const names = c.initializers.map((t) => t.name);
  // shared.weight once; each graph's own 2.0 / 3.0 constant kept apart.
  assert.deepEqual(names.filter((n) => n === "shared.weight"), ["shared.weight"]);
  assert.equal(names.length, 3);
  assert.equal(a.outputs.y, "a/y");
  assert.equal(b.outputs.y, "y");
  const readsB = b.nodes.flatMap((n) => n.input ?? []);
  const readsA = a.nodes.flatMap((n) => n.input ?? []);
  const constA = readsA.find((n) => n.includes("const_f"))!;
  const constB = readsB.find((n) => n.includes("const_f"))!;
  assert.notEqual(constA, constB);
  assert.ok(readsA.includes("x") && readsB.includes("shared.weight"));
});

Deno.test("GraphComposer.splice() refuses a graph whose input is left unbound", () => {
  const c = new GraphComposer();
  assert.throws(
    () => c.splice(scaled("a", 2).toGraph(), { prefix: "a/", inputs: {} }),
    (e: Error) => e instanceof RangeError && /input "x" is not bound/.test(e.message),
  );
});
