import assert from "node:assert/strict";
import { ModelLoadError } from "../errors.ts";
import { createDenoPlatform } from "../platform/deno.ts";
import { createWebPlatform } from "../platform/web.ts";
import { checkFilePath, classifySource, isHubId } from "./source.ts";

const deno = createDenoPlatform();
const cwd = Deno.cwd();

Deno.test("classifySource() lets an existing folder win over a Hub id", async () => {
  // "tests/fixtures" is a valid-looking org/name id, but it exists here.
  assert.deepEqual(await classifySource("tests/fixtures", deno), {
    kind: "folder",
    path: `${cwd}/tests/fixtures`,
  });
});

Deno.test("classifySource() treats ./x, ../x, /x, ~ and drive paths as folders, even when missing", async () => {
  for (
    const [src, path] of [
      ["./org/name", `${cwd}/org/name`],
      ["/org/name", "/org/name"],
      [".", cwd],
    ]
  ) {
    assert.deepEqual(await classifySource(src, deno), { kind: "folder", path }, src);
  }
  for (const src of ["../x", "~/m", "C:\\models\\m", "C:/models/m", "\\\\srv\\m"]) {
    assert.equal((await classifySource(src, deno)).kind, "folder", src);
  }
});

Deno.test("classifySource() reads a missing a/b or a bare name as a Hub id", async () => {
  for (
    const id of ["nlpconnect/vit-gpt2-image-captioning", "gpt2", "microsoft/trocr-small-printed"]
  ) {
    assert.deepEqual(await classifySource(id, deno), { kind: "hub", id });
  }
});

Deno.test("classifySource() reads http(s) as base URLs and file: as folders", async () => {
  assert.deepEqual(await classifySource("https://example.com/m/", deno), {
    kind: "url",
    base: "https://example.com/m",
  });
  assert.deepEqual(await classifySource(new URL("http://127.0.0.1:8/a"), deno), {
    kind: "url",
    base: "http://127.0.0.1:8/a",
  });
  assert.deepEqual(await classifySource("file:///srv/my%20model", deno), {
    kind: "folder",
    path: "/srv/my model",
  });
});

Deno.test("classifySource() rejects invalid ids and schemes with a TypeError", async () => {
  for (
    const bad of [
      "a/b/c",
      "a--b/c",
      "org/-name",
      "org/name.",
      "a..b",
      "has space",
      "x.git",
      "",
      "ftp://h/m",
      "org/",
    ]
  ) {
    await assert.rejects(classifySource(bad, deno), TypeError, bad);
  }
});

Deno.test("classifySource() calls an existing file a ModelLoadError: a model is a folder", async () => {
  await assert.rejects(
    classifySource("tests/fixtures/ORACLE.md", deno),
    (e: Error) => e instanceof ModelLoadError && /it is a file/.test(e.message),
  );
});

Deno.test("classifySource() refuses folders where there is no file system", async () => {
  const web = createWebPlatform({ caches });
  await assert.rejects(classifySource("./m", web), /web platform has no file system/);
  assert.deepEqual(await classifySource("org/m", web), { kind: "hub", id: "org/m" });
});

Deno.test("isHubId() follows huggingface_hub's repo id rules", () => {
  assert.equal(isHubId("a".repeat(96)), true);
  assert.equal(isHubId("a".repeat(97)), false);
  assert.equal(isHubId("_x/y_"), true);
  assert.equal(isHubId("x/y-z.1"), true);
  assert.equal(isHubId("x/.y"), false);
});

Deno.test("checkFilePath() accepts Hub-relative paths and rejects escapes", () => {
  assert.equal(checkFilePath("onnx/encoder_model.onnx"), "onnx/encoder_model.onnx");
  for (const bad of ["", "/etc/passwd", "../x", "onnx/../../x", "a//b", "a\\b", "./a"]) {
    assert.throws(() => checkFilePath(bad), TypeError, bad);
  }
});
