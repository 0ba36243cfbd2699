// `vigil-rules lint FILE...`: parse and check every rule of the files together (macros
// of one file serve the rules of all). stdout: one JSON object per rule (data only);
// stderr: each error with its expression and a caret, then a summary. Exit status 1 on
// any error (a bad file, a bad rule), 0 otherwise, 2 on bad usage.

import { loadPolicyFile, mergePolicies } from './policy.ts';
import { checkRules, evaluateFilter } from './ruleset.ts';
import type { RuleSource } from './types.ts';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'usage: vigil-rules lint FILE...';

/** Runs the command; returns the exit status (the caller exits). */
export function runCli(argv: readonly string[], io: CliIO): number {
  const [cmd, ...files] = argv;
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (cmd !== 'lint' || files.length === 0) {
    io.err(USAGE);
    return 2;
  }
  const loaded = files.map((f) => loadPolicyFile(f));
  const merged = mergePolicies(loaded);
  const fileOf = new Map<string, string>();
  loaded.forEach((p, k) => p.rules.forEach((r) => fileOf.set(r.id, files[k] as string)));
  let failed = 0;
  for (const e of merged.errors) {
    failed++;
    io.err(`${e.error.format()}`);
    io.out(JSON.stringify({ source: e.source, ...(e.id ? { id: e.id } : {}), ok: false, code: e.error.code, message: e.error.summary() }));
  }
  // Rules whose Datadog filters exclude Linux (os == "windows") are not Vigil's to check.
  const linux: RuleSource[] = [];
  for (const r of merged.rules) {
    const skip = (r.filters ?? []).find((f) => {
      try {
        return evaluateFilter(f, { os: 'linux' }) === false;
      } catch {
        return false;
      }
    });
    if (skip) io.out(JSON.stringify({ file: fileOf.get(r.id) ?? '', id: r.id, ok: true, skipped: `filter ${skip}` }));
    else linux.push(r);
  }
  const results = checkRules(linux, merged.macros);
  for (const r of results) {
    const file = fileOf.get(r.id) ?? '';
    if (r.ok) {
      io.out(JSON.stringify({ file, id: r.id, ok: true, eventType: r.eventType }));
      continue;
    }
    failed++;
    io.err(`${file}: rule ${r.id}: ${r.error.format()}`);
    io.out(JSON.stringify({
      file, id: r.id, ok: false, code: r.error.code, message: r.error.summary(), col: r.error.col,
      ...(r.missingMacros ? { missingMacros: r.missingMacros } : {}),
    }));
  }
  io.err(`${results.length} rules, ${merged.macros.length} macros, ${failed} error${failed === 1 ? '' : 's'}`);
  return failed > 0 ? 1 : 0;
}
