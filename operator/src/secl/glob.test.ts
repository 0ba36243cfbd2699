import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlob, compilePattern, literalPrefix } from './glob.ts';

describe('patterns (~"...")', () => {
  const cases: [string, string, boolean][] = [
    ['httpd*', 'httpd', true], ['httpd*', 'httpd-worker', true], ['httpd*', 'xhttpd', false],
    ['*.sh', 'run.sh', true], ['*.sh', 'run.shx', false], ['a*b*c', 'abc', true], ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false], ['*', '', true], ['**', 'x', true], ['a*a', 'a', false], ['a*a', 'aa', true],
    ['exact', 'exact', true], ['exact', 'exac', false], ['*169.254.169.254/latest/*', 'curl http://169.254.169.254/latest/x', true],
    ['?', '?', true], ['?', 'a', false], ['*/x', '/a/b/x', true],
  ];
  for (const [pat, s, want] of cases) {
    it(`${pat} ~ ${JSON.stringify(s)} is ${want}`, () => assert.equal(compilePattern(pat)(s), want));
  }
  it('can ignore case', () => {
    assert.equal(compilePattern('*.Example.COM', true)('api.example.com'), true);
    assert.equal(compilePattern('*.Example.COM')('api.example.com'), false);
  });
  it('runs in linear time on adversarial input', () => {
    const m = compilePattern(`${'*a'.repeat(50)}*b`);
    const s = 'a'.repeat(100_000);
    const t = process.hrtime.bigint();
    assert.equal(m(s), false);
    assert.ok(Number(process.hrtime.bigint() - t) / 1e6 < 500);
  });
});

describe('path globs', () => {
  const cases: [string, string, boolean][] = [
    ['/etc/*', '/etc/passwd', true], ['/etc/*', '/etc/ssh/sshd_config', false], ['/etc/*', '/etc/', false],
    ['/etc/**', '/etc/ssh/sshd_config', true], ['/etc/**', '/etc/passwd', true], ['/etc/**', '/etc', false],
    ['/etc/**', '/etc/', false], ['/home/*/.ssh/id_rsa', '/home/bob/.ssh/id_rsa', true],
    ['/home/*/.ssh/id_rsa', '/home/bob/x/.ssh/id_rsa', false], ['/etc/cron.*/**', '/etc/cron.daily/job', true],
    ['/var/run/secrets/kubernetes.io/serviceaccount/**/token', '/var/run/secrets/kubernetes.io/serviceaccount/token', true],
    ['/var/run/secrets/kubernetes.io/serviceaccount/**/token', '/var/run/secrets/kubernetes.io/serviceaccount/..data/token', true],
    ['/var/run/secrets/kubernetes.io/serviceaccount/**/token', '/var/run/secrets/kubernetes.io/serviceaccount/a/b/tok', false],
    ['*/bin/*', '/usr/bin/curl', true], ['*/bin/*', '/usr/local/bin/curl', false], ['/proc/*/environ', '/proc/12/environ', true],
    ['/proc/1*', '/proc/123', true], ['/proc/1*', '/proc/2', false], ['/usr/bin/apt*', '/usr/bin/apt-get', true],
    ['/no/star', '/no/star', true], ['/a*b/c', '/aXXb/c', true], ['/tmp/*', 'tmp/x', false],
  ];
  for (const [g, s, want] of cases) {
    it(`${g} ~ ${s} is ${want}`, () => assert.equal(compileGlob(g)(s), want));
  }
  it('knows the literal prefix', () => assert.equal(literalPrefix('/etc/pam.d/*'), '/etc/pam.d/'));
});
