// Fuzzing the parser and checker: 100k random and mutated expressions, none may crash,
// hang, or throw anything but a typed SeclError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExpression, macroTable } from './checker.ts';
import { SeclError } from './errors.ts';
import { Rand } from './fixtures.ts';
import { parseExpression } from './parser.ts';

const SEEDS = [
  'exec.file.path in ["/bin/bash", ~"/usr/bin/*"] && process.ancestors.file.name == "sshd"',
  'open.flags & (O_CREAT|O_WRONLY) > 0 && open.file.path =~ "/etc/**" && container.created_at > 90s',
  'connect.addr.ip not in [10.0.0.0/8, ::1/128] || dns.question.name == r"^x.*\\.com$"',
  '!(exec.args_flags allin ["i", "c"]) and not exec.comm in SHELLS or ${process.x} == -1',
  'process.ancestors[A].comm == "git" && "x" in exec.argv && exec.uid >= 0 # c',
];
const TOKENS = ['&&', '||', '!', '(', ')', '[', ']', ',', '==', '!=', '=~', '!~', '<', '>=', 'in', 'not in', 'allin', 'and', 'or',
  'not', '&', '|', '^', '+', '-', '"s"', '~"p*"', 'r"(a|b)+"', '1', '-1', '0x10', '10s', '5m', '1.2.3.4', '::1', '10.0.0.0/8',
  'exec.file.path', 'open.flags', 'process.ancestors.comm', 'process.ancestors[A].pid', 'SHELLS', 'O_CREAT', 'true', '${process.x}',
  '"${process.pid}"', 'imds.url', 'exec.file.pth', '"\\x41"', '"\\q"', '"open', '${', '#', '//', '\n', '@', '[A]', 'r"(?='];
const env = {
  macros: macroTable([{ id: 'SHELLS', values: ['bash'] }, { id: 'M', expression: 'exec.file.name == "x" && M' }]),
  variables: new Map([['process.x', { ref: 'process.x', scope: 'process' as const, type: 'int' as const, array: false }]]),
};

function mutate(r: Rand, s: string): string {
  const at = r.int(s.length + 1);
  switch (r.int(4)) {
    case 0: return s.slice(0, at) + s.slice(at + 1 + r.int(5));
    case 1: return s.slice(0, at) + r.pick(TOKENS) + s.slice(at);
    case 2: return s.slice(0, at) + String.fromCharCode(r.int(128)) + s.slice(at);
    default: return s.slice(0, at) + s.slice(r.int(s.length + 1));
  }
}

describe('fuzz', () => {
  it('100k random and mutated expressions: only typed errors, each bounded in time', () => {
    const r = new Rand(1234);
    let parsed = 0, typed = 0, slowest = 0;
    for (let i = 0; i < 100_000; i++) {
      let src: string;
      if (i % 2 === 0) {
        src = r.pick(SEEDS);
        for (let k = 1 + r.int(4); k > 0; k--) src = mutate(r, src);
      } else {
        src = Array.from({ length: 1 + r.int(12) }, () => r.pick(TOKENS)).join(r.chance(0.8) ? ' ' : '');
      }
      const t = performance.now();
      try {
        const ast = parseExpression(src);
        parsed++;
        checkExpression(src, env);
        void ast;
      } catch (e) {
        if (!(e instanceof SeclError)) assert.fail(`untyped ${String(e)} on ${JSON.stringify(src)}`);
        assert.ok(e.message.length > 0 && e.code.length > 0);
        typed++;
      }
      slowest = Math.max(slowest, performance.now() - t);
    }
    console.log(`fuzz: 100000 inputs, ${parsed} parsed, ${typed} typed errors, slowest ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < 1000, `an input took ${slowest} ms`);
    assert.ok(parsed > 1000 && typed > 1000);
  });
  it('survives deep nesting and very long inputs with typed errors', () => {
    for (const src of ['('.repeat(100_000), '!'.repeat(100_000), `a == ${'1 + '.repeat(50_000)}`, '"'.padEnd(300_000, 'x')]) {
      assert.throws(() => parseExpression(src), (e: unknown) => e instanceof SeclError);
    }
  });
});
