/**
 * The CLI's option parsing on its own: strict decimal numbers in range, unknown flags and
 * missing values refused with the flag named, -h/--help anywhere before --, choices checked.
 */
import assert from "node:assert/strict";
import { parseArgs } from "../../src/cli/args.ts";
import { loadGenerationConfigArg } from "../../src/cli/common.ts";

function refuses(argv: string[], Ctor: ErrorConstructor, re: RegExp, task?: "preprocess"): void {
  assert.throws(() => parseArgs(argv, task), (e: Error) => {
    assert.ok(e instanceof Ctor, `${argv.join(" ")} -> ${e.name}: ${e.message}`);
    assert.match(e.message, re, argv.join(" "));
    return true;
  });
}

Deno.test("parseArgs maps flags to GenerationConfig fields and options", () => {
  const a = parseArgs([
    "--model",
    "m",
    "--num-beams",
    "4",
    "--length-penalty=-0.5",
    "--top-p",
    "0.9",
    "--temperature",
    "1e-1", // exponents are fine where a fraction is meant
    "--early-stopping",
    "never",
    "--do-sample",
    "--max-memory",
    "512M",
    "--dtype",
    "fp16",
    "--verbose",
    "a.png",
    "-",
    "--",
    "-odd.png",
  ]);
  assert.deepEqual(a.generation, {
    num_beams: 4,
    length_penalty: -0.5,
    top_p: 0.9,
    temperature: 0.1,
    early_stopping: "never",
    do_sample: true,
  });
  assert.deepEqual(a.options, {
    model: "m",
    "max-memory": 512 * 1024 ** 2,
    dtype: "fp16",
    verbose: true,
  });
  assert.deepEqual(a.images, ["a.png", "-", "-odd.png"]);
  assert.equal(a.help, false);
  assert.equal(parseArgs(["--max-memory", "4GiB"]).options["max-memory"], 4 * 1024 ** 3);
  assert.equal(parseArgs(["--max-memory", "1000000"]).options["max-memory"], 1000000);
  assert.equal(parseArgs(["--early-stopping", "false"]).generation.early_stopping, false);
});

Deno.test("numbers are decimal, integers where integers are meant, finite and in range", () => {
  const cases: [string[], ErrorConstructor, RegExp][] = [
    [
      ["--max-new-tokens", "0x10"],
      TypeError,
      /--max-new-tokens takes a decimal integer, got "0x10"/,
    ],
    [["--num-beams", "1e3"], TypeError, /--num-beams takes a decimal integer, got "1e3"/],
    [["--num-beams", "12abc"], TypeError, /--num-beams takes a decimal integer, got "12abc"/],
    [["--num-beams", "2.5"], TypeError, /--num-beams takes a decimal integer/],
    [["--num-beams", ""], TypeError, /--num-beams takes a decimal integer, got ""/],
    [["--num-beams", " 4"], TypeError, /--num-beams takes a decimal integer/],
    [["--num-beams", "0"], RangeError, /--num-beams must be >= 1, got 0/],
    [["--num-beams", "-3"], RangeError, /--num-beams must be >= 1, got -3/],
    [["--seed", "99999999999999999999"], RangeError, /--seed is too large/],
    [["--temperature", "12abc"], TypeError, /--temperature takes a decimal number, got "12abc"/],
    [["--temperature", "Infinity"], TypeError, /--temperature takes a decimal number/],
    [["--temperature", "NaN"], TypeError, /--temperature takes a decimal number/],
    [["--temperature", "0x1"], TypeError, /--temperature takes a decimal number/],
    [["--temperature", "1e999"], RangeError, /--temperature is too large/],
    [["--top-p", "0"], RangeError, /--top-p must be > 0, got 0/],
    [["--top-p", "1.5"], RangeError, /--top-p must be <= 1, got 1.5/],
    [["--repetition-penalty", "0"], RangeError, /--repetition-penalty must be > 0/],
    [["--threads", "0"], RangeError, /--threads must be >= 1/],
    [["--batch-size", "0"], RangeError, /--batch-size must be >= 1/],
    [["--max-memory", "0"], RangeError, /--max-memory must be >= 1/],
    [["--max-memory", "4X"], TypeError, /--max-memory takes a size in bytes/],
    [["--max-memory", "0x10"], TypeError, /--max-memory takes a size/],
  ];
  for (const [argv, Ctor, re] of cases) refuses(argv, Ctor, re);
});

Deno.test("unknown flags, missing values and bad choices are refused, naming the flag", () => {
  refuses(["--num-beems", "4"], TypeError, /unknown option --num-beems/);
  refuses(["-x", "a.png"], TypeError, /unknown option -x/);
  refuses(["--model"], TypeError, /--model needs a value/);
  refuses(["--model", "--json", "a.png"], TypeError, /--model needs a value/);
  refuses(["--num-beams"], TypeError, /--num-beams needs a value/);
  refuses(["--model="], TypeError, /--model needs a value/);
  refuses(["--device", "cuda"], TypeError, /--device takes auto, webgpu, wasm, got "cuda"/);
  refuses(["--dtype", "fp64"], TypeError, /--dtype takes fp32, fp16, q8, .*got "fp64"/);
  refuses(["--decoder", "both"], TypeError, /--decoder takes merged, pair/);
  refuses(["--from", "tf"], TypeError, /--from takes onnx, safetensors, pytorch/);
  refuses(["--early-stopping", "maybe"], TypeError, /--early-stopping takes true, false, never/);
  refuses(["--json=yes"], TypeError, /--json takes true or false/);
  refuses(["--quiet", "--progress"], TypeError, /--quiet and --progress cannot be used together/);
  refuses(["--toString", "x"], TypeError, /unknown option --toString/);
  // preprocess takes no generation or run flags
  refuses(["--num-beams", "4"], TypeError, /unknown option --num-beams/, "preprocess");
  refuses(["--verbose"], TypeError, /unknown option --verbose/, "preprocess");
});

Deno.test("-h and --help anywhere before -- ask for the usage, even beside bad flags", () => {
  assert.equal(parseArgs(["-h"]).help, true);
  assert.equal(parseArgs(["--model", "m", "a.png", "--help"]).help, true);
  assert.equal(parseArgs(["--num-beams", "0x10", "-h"]).help, true);
  assert.equal(parseArgs(["-h"], "preprocess").help, true);
  const after = parseArgs(["--", "-h"]);
  assert.equal(after.help, false);
  assert.deepEqual(after.images, ["-h"]);
});

Deno.test("--generation-config reads JSON text or a regular file of a config's size", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/g.json`, '{"num_beams": 3}');
  assert.deepEqual(await loadGenerationConfigArg(`${dir}/g.json`), { num_beams: 3 });
  assert.deepEqual(await loadGenerationConfigArg(' {"top_k": 5}'), { top_k: 5 });
  assert.deepEqual(await loadGenerationConfigArg(undefined), {});
  await assert.rejects(() => loadGenerationConfigArg(dir), /is not a regular file/);
  await assert.rejects(() => loadGenerationConfigArg("/dev/zero"), /is not a regular file/);
  await Deno.writeFile(`${dir}/big.json`, new Uint8Array(2 * 1024 * 1024));
  await assert.rejects(() => loadGenerationConfigArg(`${dir}/big.json`), RangeError);
  await assert.rejects(() => loadGenerationConfigArg(`${dir}/none.json`), /cannot read/);
  await assert.rejects(() => loadGenerationConfigArg("[1]"), /must be a JSON object/);
  await assert.rejects(() => loadGenerationConfigArg("{nope"), /is not valid JSON/);
});
