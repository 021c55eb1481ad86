// Runs a wasm32-wasip1 program (a test binary) under Node's built-in WASI, for cargo:
//   CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/scripts/wasi-run.mjs"
//   cargo test -p twilio-connect-apps --target wasm32-wasip1
// No file system is opened to it (no preopens) and no socket exists in WASI preview 1: what
// passes here needs no OS. Its exit code is the program's; a trap (a panic: wasm aborts) is 1.
import { readFile } from "node:fs/promises";
import process, { argv, env, exit } from "node:process";
import { WASI } from "node:wasi";

const [, , program, ...args] = argv;
if (!program) {
  console.error("usage: node wasi-run.mjs <program.wasm> [args...]");
  exit(2);
}
const wasi = new WASI({ version: "preview1", args: [program, ...args], env, returnOnExit: true });
try {
  const module = await WebAssembly.compile(await readFile(program));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  // The exit code is set, not forced with exit(): a forced exit while V8 still compiles the
  // module's functions in the background (tier-up) crashed Node 20 once (SIGSEGV after every
  // test had passed), on a loaded machine. Ending normally lets those threads finish.
  process.exitCode = wasi.start(instance);
} catch (e) {
  console.error(`${program}: ${e}`);
  process.exitCode = 1;
}
