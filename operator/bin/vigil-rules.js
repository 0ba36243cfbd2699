#!/usr/bin/env node
// vigil-rules: runs operator/src/secl/cli.ts through tsx (no build step).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/secl/cli.ts');
process.exitCode = runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
