#!/usr/bin/env node
// The herald CLI. Node 24 runs this TypeScript directly (type stripping): no build step.
import { runCli } from "../src/cli/main.ts";
import { text } from "node:stream/consumers";

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (chunk) => process.stderr.write(chunk),
  env: process.env,
  readStdin: () => text(process.stdin),
});
process.exitCode = exitCode;
