#!/usr/bin/env node
// Runs the sensor as the plain JavaScript `make build` bundles into sensor/build/js: a
// third of the memory of compiling the TypeScript at every start. From a checkout without
// that bundle, or where one of its sources is newer than it, the TypeScript sources run
// through tsx instead (saying so on stderr when the bundle is stale).
import { existsSync, readFileSync, statSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const repo = new URL('../../', import.meta.url);
const bundle = new URL('../build/js/vigil-sensor.js', import.meta.url);
const meta = new URL('../build/js/meta.json', import.meta.url);

/** A source of the bundle newer than it (node_modules change only with npm ci, before make build), or undefined. */
function staleSource() {
  const built = statSync(bundle).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs);
  for (const input of inputs) {
    if (input.includes('node_modules/')) continue;
    const path = fileURLToPath(new URL(input, repo));
    if (!existsSync(path) || statSync(path).mtimeMs > built) return input;
  }
  return undefined;
}

const stale = existsSync(bundle) && existsSync(meta) ? staleSource() : 'no bundle';
if (stale === undefined) {
  await import(bundle.href);
} else {
  if (stale !== 'no bundle') process.stderr.write(`vigil-sensor: ${stale} is newer than sensor/build/js; running the TypeScript sources (make build bundles them)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
