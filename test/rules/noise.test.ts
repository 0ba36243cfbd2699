// Noise check: with the whole default ruleset loaded, a normal day's work on a host raises no
// signal except the documented ones. The workload: git (init, commits, branches, a clone, gc),
// a C project built and tested with make, an npm project (npm ci of a local dependency,
// npm test, npm pack, offline), everyday tools, DNS lookups of everyday names (answered by a
// local resolver), an SSH key generated and used, and a small
// .deb built with dpkg-deb, installed with dpkg and apt-get and removed again — inside a
// private mount namespace whose /usr, /etc and /var are overlays on tmpfs, so the real
// system's packages never change. Only detections from the workload's process tree count:
// the machine is shared, and what else runs meanwhile is reported, not judged.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Detection } from '../../sensor/src/report/signal-content.ts';
import { missingEventTypes, openRuleSensor, privateFs, run, Scratch, skipReason, startResolver, triggerBinary, type Resolver, type RuleSensor } from './harness.ts';

const skip = skipReason();

/**
 * Signals the workload is allowed to raise, with why. Empty: everything in the workload is
 * quiet. (Running a just-built binary directly from a shell, rather than through make,
 * raises vigil_new_executable_run: build-and-run looks exactly like download-and-run.)
 */
const EXPECTED: ReadonlyArray<{ rule: string; why: string }> = [];

const related = (d: Detection, pid: number): boolean =>
  d.event.process.pid === pid || d.event.process.ancestors.some((a) => a.pid === pid);

function project(x: Scratch): string {
  const w = x.mkdir('work');
  const files: Record<string, string> = {
    'c/hello.c': '#include <stdio.h>\nint add(int a, int b) { return a + b; }\n#ifndef TEST\nint main(void) { printf("hello %d\\n", add(1, 2)); return 0; }\n#endif\n',
    'c/test.c': '#define TEST\n#include "hello.c"\n#include <assert.h>\nint main(void) { assert(add(2, 2) == 4); return 0; }\n',
    'c/Makefile': 'all: hello\nhello: hello.c\n\t$(CC) -O2 -o $@ $<\ntest_hello: test.c hello.c\n\t$(CC) -o $@ test.c\ntest: test_hello hello\n\t./test_hello && ./hello\nclean:\n\trm -f hello test_hello\n.PHONY: all test clean\n',
    'js/dep/package.json': JSON.stringify({ name: 'vigil-noise-dep', version: '1.0.0', main: 'index.js' }),
    'js/dep/index.js': 'exports.double = (n) => n * 2;\n',
    'js/app/package.json': JSON.stringify({
      name: 'vigil-noise-app', version: '1.0.0', private: true,
      dependencies: { 'vigil-noise-dep': 'file:../dep' },
      scripts: { test: 'node --test test/', build: 'node -e "console.log(require(\'vigil-noise-dep\').double(21))"' },
    }),
    'js/app/test/double.test.js': "const { test } = require('node:test');\nconst assert = require('node:assert');\nconst { double } = require('vigil-noise-dep');\ntest('double', () => assert.equal(double(2), 4));\n",
    'deb/pkg/DEBIAN/control': 'Package: vigil-noise-test\nVersion: 1.0\nArchitecture: all\nMaintainer: Vigil tests <tests@vigil.invalid>\nDescription: Vigil noise-check package\n',
    'deb/pkg/DEBIAN/postinst': '#!/bin/sh\nset -e\nmkdir -p /var/lib/vigil-noise-test\necho installed > /var/lib/vigil-noise-test/state\n' +
      'getent passwd vigil-noise > /dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin vigil-noise\n',
    'deb/pkg/DEBIAN/postrm': '#!/bin/sh\nset -e\nrm -rf /var/lib/vigil-noise-test\nif [ "$1" = purge ] || [ "$1" = remove ]; then userdel vigil-noise 2> /dev/null || true; fi\n',
    'deb/pkg/usr/bin/vigil-noise-hello': '#!/bin/sh\necho hello\n',
    'deb/pkg/etc/cron.d/vigil-noise-test': '0 3 * * * root /usr/bin/vigil-noise-hello\n',
    'deb/pkg/lib/systemd/system/vigil-noise-test.service': '[Service]\nExecStart=/usr/bin/vigil-noise-hello\n',
    'deb/pkg/usr/share/doc/vigil-noise-test/README': 'Vigil noise check\n',
    'deb/pkg/etc/vigil-noise-test.conf': 'enabled=true\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(x.path('work', rel, '..'), { recursive: true });
    writeFileSync(x.path('work', rel), text, { mode: rel.includes('DEBIAN/post') || rel.includes('/bin/') ? 0o755 : 0o644 });
  }
  return w;
}

/** The developer part of the workload: git, make, npm and everyday tools (bash, set -e). */
function devWorkload(w: string): string {
  return `set -euo pipefail
export HOME='${w}/home' npm_config_cache='${w}/npm-cache' npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
mkdir -p "$HOME"
cd '${w}'
# git
git init -q repo && cd repo
git config user.email dev@example.com && git config user.name Dev && git config gc.autoDetach false
cp -r ../c ../js . && git add -A && git commit -qm initial
git checkout -qb feature && echo '// more' >> c/hello.c && git commit -qam change && git checkout -q - && git merge -q feature
git log --oneline > /dev/null && git diff HEAD~1 > /dev/null && git status --short > /dev/null
git clone -q "file://$PWD" ../clone && git gc -q
# build and test a C project
make -C c -s && make -C c -s test && make -C c -s clean
# an npm project: a local dependency, offline
cd js/app && npm install --offline --silent && npm ci --offline --silent && npm test --silent > /dev/null && npm run --silent build > /dev/null && npm pack --silent > /dev/null
cd '${w}'
# everyday tools
ls -la /etc > /dev/null && ps aux > /dev/null && id > /dev/null && uname -a > /dev/null && df -h > /dev/null
cat /etc/os-release > /dev/null && grep -c root /etc/passwd > /dev/null && getent hosts localhost > /dev/null
journalctl -n 5 --no-pager > /dev/null 2>&1 || true
python3 -c 'import json, hashlib; print(hashlib.sha256(b"x").hexdigest())' > /dev/null
tar czf repo.tgz repo && tar tzf repo.tgz > /dev/null && sha256sum repo.tgz > /dev/null
ssh-keygen -q -t ed25519 -N '' -f "$HOME/.ssh_id" && ssh-keygen -y -f "$HOME/.ssh_id" > /dev/null
curl --version > /dev/null
curl -s -m 2 http://127.0.0.1:9/ > /dev/null || true
# everyday DNS names, asked of the local resolver (nothing leaves the host)
for name in github.com registry.npmjs.org deb.debian.org api.github.com ec2-52-23-111-7.compute-1.amazonaws.com \
    kubernetes.default.svc.cluster.local my-service.my-namespace.svc.cluster.local storage.googleapis.com \
    e3b0c44298fc1c149afbf4c8996fb924.cdn.example.net; do
  '${triggerBinary()}' dns "$name" > /dev/null
done
'${triggerBinary()}' dns _dmarc.example.com 16 > /dev/null
echo workload-done`;
}

/** The package part: build a .deb, install it with dpkg and apt-get, remove it (private overlays). */
function packageWorkload(w: string): string {
  return `cd '${w}/deb'
dpkg-deb --root-owner-group -b pkg vigil-noise-test.deb > /dev/null
dpkg -i vigil-noise-test.deb > /dev/null
test -f /var/lib/vigil-noise-test/state
vigil-noise-hello > /dev/null
dpkg -r vigil-noise-test > /dev/null
apt-get install -y -qq '${w}/deb/vigil-noise-test.deb' > /dev/null 2>&1
dpkg -s vigil-noise-test > /dev/null
apt-get purge -y -qq vigil-noise-test > /dev/null 2>&1
echo packages-done`;
}

describe('noise check', { skip: skip ?? false }, () => {
  let s: RuleSensor;
  let x: Scratch;
  let resolver: Resolver;
  before(async () => {
    s = openRuleSensor();
    x = new Scratch('vigil-noise-');
    resolver = await startResolver();
  });
  after(() => {
    resolver?.close();
    s?.close();
    x?.remove();
  });

  it('a normal workload raises no unexpected signal', async () => {
    const w = project(x);
    s.clearEvents();
    const before = { evaluated: s.detector.stats.evaluated, detections: s.detections.length };
    const started = Date.now();
    const dev = run('/bin/bash', ['-c', devWorkload(w)], { timeout: 240_000 });
    assert.equal(dev.status, 0, `developer workload failed: ${dev.stderr.slice(-2000)}`);
    assert.match(dev.stdout, /workload-done/);
    const pkg = privateFs(x, packageWorkload(w), { overlay: ['/usr', '/etc', '/var/lib', '/var/cache', '/var/log'] });
    assert.equal(pkg.status, 0, `package workload failed: ${pkg.stderr.slice(-2000)}`);
    assert.match(pkg.stdout, /packages-done/);
    await s.settle();
    const ours = s.detections.slice(before.detections).filter((d) => related(d, dev.pid) || related(d, pkg.pid));
    const others = s.detections.length - before.detections - ours.length;
    const evaluated = s.detector.stats.evaluated - before.evaluated;
    const mine = s.events.filter((e) => e.type !== 'fork' && [dev.pid, pkg.pid].some((p) => e.process.pid === p || e.process.ancestors.some((a) => a.pid === p)));
    const byType = new Map<string, number>();
    for (const e of mine) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    const ms = Date.now() - started;
    const lines = ours.map((d) => `${d.rule.id} ${d.event.type} ${d.event.process.file.path} ${JSON.stringify(d.event.process.argv).slice(0, 160)}`);
    console.log(`noise check: ${evaluated} events evaluated against ${s.ruleset.compiled.rules.length} rules in ${ms} ms, ` +
      `${mine.length} of them from the workload (${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')}); ` +
      `${ours.length} signals from the workload, ${others} from other activity on this machine`);
    for (const l of lines) console.log(`  workload signal: ${l}`);
    const elsewhere = new Map<string, number>();
    for (const d of s.detections.slice(before.detections)) if (!ours.includes(d)) elsewhere.set(d.rule.id, (elsewhere.get(d.rule.id) ?? 0) + 1);
    if (elsewhere.size) console.log(`  other activity meanwhile (not judged): ${[...elsewhere].map(([id, n]) => `${id} ×${n}`).join(', ')}`);
    const unexpected = ours.filter((d) => !EXPECTED.some((e) => e.rule === d.rule.id));
    assert.deepEqual(unexpected.map((d) => d.rule.id), [], `unexpected signals:\n${lines.join('\n')}`);
    assert.ok(mine.length > 500 && (byType.get('exec') ?? 0) > 100, `the workload was seen (${mine.length} events)`);
    if (!missingEventTypes('dns')) assert.ok((byType.get('dns') ?? 0) >= 10, 'the workload\'s DNS lookups were seen');
  });
});
