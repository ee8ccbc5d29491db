// Compiles paykit's contracts with the pinned solc (package.json) and writes
// their ABI and creation bytecode into build/:
//
//	node contracts/compile.mjs            write contracts/build/
//	node contracts/compile.mjs --out DIR  write DIR instead (the Go test compares it)
//
// The input is solc's standard JSON with every setting fixed here, so the same
// sources always give the same bytes: build/ is committed, and
// contracts_test.go recompiles and compares byte for byte where node is present.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const solc = createRequire(import.meta.url)("solc");

const contracts = ["Escrow", "TestUSDT"];

const args = process.argv.slice(2);
let out = join(here, "build");
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--out" && i + 1 < args.length) out = args[++i];
  else {
    console.error(`usage: node compile.mjs [--out DIR]`);
    process.exit(2);
  }
}

const input = {
  language: "Solidity",
  sources: Object.fromEntries(
    contracts.map((c) => [`${c}.sol`, { content: readFileSync(join(here, `${c}.sol`), "utf8") }]),
  ),
  settings: {
    // cancun: what current mainnet, the L2s and go-ethereum's simulated backend all run.
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "ipfs" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

mkdirSync(out, { recursive: true });
for (const c of contracts) {
  const art = output.contracts[`${c}.sol`][c];
  writeFileSync(join(out, `${c}.abi.json`), JSON.stringify(art.abi, null, 2) + "\n");
  writeFileSync(join(out, `${c}.bin`), art.evm.bytecode.object + "\n");
}
console.log(`solc ${solc.version()}: wrote ${contracts.join(", ")} to ${out}`);
