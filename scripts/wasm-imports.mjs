// Checks a WebAssembly module's import section: a module built from the sans-IO core for
// wasm32-unknown-unknown must import nothing (no `env` function a JavaScript host would have
// to provide: no clock, no randomness, no IO).
//
//   node scripts/wasm-imports.mjs target/wasm32-unknown-unknown/release/<name>.wasm
import { readFileSync } from "node:fs";

const path = process.argv[2];
if (!path) {
  console.error("usage: node scripts/wasm-imports.mjs <module.wasm>");
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(path));
const imports = WebAssembly.Module.imports(module);
const exports = WebAssembly.Module.exports(module).map((e) => e.name);
if (imports.length > 0) {
  console.error(`${path} imports ${imports.length} item(s):`);
  for (const i of imports) console.error(`  ${i.module}.${i.name} (${i.kind})`);
  process.exit(1);
}
console.log(`${path}: no imports; exports ${exports.join(", ")}`);
