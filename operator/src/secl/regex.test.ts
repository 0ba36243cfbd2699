import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeclError } from './errors.ts';
import { compileRegex } from './regex.ts';

describe('regex (RE2 syntax, Pike VM)', () => {
  const cases: [string, string, boolean][] = [
    ['^\\[.*\\]$', '[kworker/0:1]', true], ['^\\[.*\\]$', 'x[kworker]', false], ['abc', 'xxabcxx', true],
    ['a.c', 'a\nc', false], ['(?s)a.c', 'a\nc', true], ['^b', 'a\nb', false], ['(?m)^b', 'a\nb', true],
    ['\\.lock$', 'x.lock', true], ['\\.lock$', 'x.locked', false], ['RECOVER.*\\.txt', 'HOW_TO_RECOVER_FILES.txt', true],
    ['(?i)(restore|recover).*(files|lock)', 'ReCoVeR_YOUR_FILES', true], ['(?i)abc', 'xABCx', true],
    ['((25[0-5]|(2[0-4]|1\\d|[1-9])\\d)\\.?\\b){4}', '-R 8080:10.20.30.40:22', true],
    ['((25[0-5]|(2[0-4]|1\\d|[1-9])\\d)\\.?\\b){4}', 'no address', false],
    ['OUTPUT.*((25[0-5]|(2[0-4]|1\\d|[1-9]|)\\d)\\.?\\b){4}.*ACCEPT', '-A OUTPUT -d 8.8.8.8 -j ACCEPT', true],
    ['(127\\.)|(10\\.)|(^172\\.3[0-1]\\.)', 'to 172.31.0.1', false], ['(127\\.)|(10\\.)|(^172\\.3[0-1]\\.)', '172.31.0.1', true],
    ['[a-c]{2,3}x', 'zzbcx', true], ['[a-c]{2,3}x', 'zzcx', false], ['[^0-9]+', '123', false], ['[[:alpha:]]+\\d', 'ab1', true],
    ['\\bfoo\\b', 'a foo b', true], ['\\bfoo\\b', 'afoob', false], ['\\Bfoo', 'afoo', true], ['a|b|c', 'zzc', true],
    ['colou?r', 'color', true], ['x{3}', 'xx', false], ['x{3}', 'xxx', true], ['x{2,}', 'xxxx', true], ['a+?b', 'aab', true],
    ['(?P<n>ab)+$', 'abab', true], ['(?:ab)*c', 'c', true], ['\\x41\\x{42}', 'AB', true], ['[\\d\\s]+z', ' 1 z', true],
    ['s=.*\\\\', 's=foo\\', true], ['a{', 'a{', true], ['\\Aab\\z', 'ab', true], ['', 'anything', true],
  ];
  for (const [re, s, want] of cases) {
    it(`r"${re}" on ${JSON.stringify(s)} is ${want}`, () => assert.equal(compileRegex(re).test(s), want));
  }

  it('agrees with the JavaScript engine on random inputs', () => {
    const patterns = ['a(b|c)*d', '^(ab|a)+c$', '[a-c]+b?c{1,2}', '(a|ab)(c|bcd)', '\\d+\\.\\d+', 'x.y', '(?:a*b*)*c'];
    let seed = 7;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    for (const p of patterns) {
      const mine = compileRegex(p);
      const js = new RegExp(p);
      for (let k = 0; k < 300; k++) {
        const s = Array.from({ length: rnd(12) }, () => 'abcdxy.1'[rnd(8)]).join('');
        assert.equal(mine.test(s), js.test(s), `${p} on ${s}`);
      }
    }
  });

  it('runs in linear time where backtracking engines blow up', () => {
    const re = compileRegex('^(a+)+$');
    const s = `${'a'.repeat(50_000)}!`;
    const t = process.hrtime.bigint();
    assert.equal(re.test(s), false);
    assert.ok(Number(process.hrtime.bigint() - t) / 1e6 < 2000);
  });

  it('refuses what RE2 refuses, with a typed error', () => {
    for (const bad of ['(?=x)', '(?!x)', '(?<=x)', '(a)\\1', '(ab', 'ab)', '[a-', '*a', 'a**', 'x{5,2}', '\\q', '[z-a]', 'x{1001}']) {
      assert.throws(() => compileRegex(bad), (e: unknown) => e instanceof SeclError && e.code === 'invalid_regex', bad);
    }
  });
});
