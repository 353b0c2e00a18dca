// Reads LaTeX strings, one JSON string per line, on stdin; renders each with KaTeX in
// display mode, throwing on errors and on non-LaTeX input (strict), and writes one JSON
// object {"latex": ..., "error": ...} per rejected string to stdout.
// Exit status: 0 all render, 1 some are rejected, 2 the input is not JSON lines.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  let rejected = 0;
  const lines = input.split("\n").filter((line) => line.trim() !== "");
  for (const line of lines) {
    let latex;
    try {
      latex = JSON.parse(line);
    } catch (err) {
      process.stderr.write(`not a JSON string: ${line}\n`);
      process.exit(2);
    }
    if (typeof latex !== "string") {
      process.stderr.write(`not a JSON string: ${line}\n`);
      process.exit(2);
    }
    try {
      // KaTeX stops after 1000 macro expansions by default, a guard against runaway macros
      // that sums of hundreds of \operatorname terms (the hostile-input tests) reach; the
      // LaTeX is still valid, so the check allows more.
      katex.renderToString(latex, { throwOnError: true, displayMode: true, strict: "error", maxExpand: 1e6 });
      // A long string (a printed 50-layer gradient is 2 MB of LaTeX) needs hundreds of MB
      // to render; collecting right after it keeps that from piling up on the garbage of
      // the strings before it, so the process peaks at what one string needs.
      if (global.gc && latex.length > 100000) global.gc();
    } catch (err) {
      rejected += 1;
      process.stdout.write(JSON.stringify({ latex, error: String(err.message || err) }) + "\n");
    }
  }
  process.stderr.write(`katex ${katex.version}: ${lines.length} checked, ${rejected} rejected\n`);
  process.exitCode = rejected ? 1 : 0;
});
