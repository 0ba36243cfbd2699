// `vigil-sensor run` on a host without Kubernetes: with no --rules it loads the chart's
// default rules and prints one JSON signal per detection on stdout while the trigger demo
// (fixtures/trigger-demo.sh) runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { waitFor } from '../cluster/index.ts';
import { run, skipReason } from './harness.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('vigil-sensor run prints the default rules\' signals as JSON lines for the trigger demo', { skip: skipReason() ?? false, timeout: 120_000 }, async () => {
  const env = { ...process.env };
  delete env.NODE_NAME;
  delete env.VIGIL_NAMESPACE;
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, join(ROOT, 'sensor', 'bin', 'vigil-sensor.js'), 'run'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitFor('sensor running', 60_000, () => {
      if (child.exitCode !== null) throw new Error(`vigil-sensor exited: ${err.slice(-2000)}`);
      return /"msg":"sensor running"/.test(err);
    });
    const rules = Number(/"rules":(\d+),"msg":"rules loaded"/.exec(err)?.[1] ?? 0);
    assert.ok(rules >= 60, `${rules} default rules loaded`);
    const demo = run('/bin/sh', [join(ROOT, 'test', 'rules', 'fixtures', 'trigger-demo.sh')]);
    assert.equal(demo.status, 0, demo.stderr);
    const want = ['vigil_crypto_miner_exec', 'vigil_crypto_miner_command_line', 'vigil_netcat_shell', 'vigil_shadow_file_access',
      'vigil_ssh_authorized_keys_modified', 'vigil_shell_history_disabled'];
    const ids = (): Set<string> => new Set(out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { rule: { id: string } }).rule.id));
    await waitFor('every demo signal', 20_000, () => want.every((id) => ids().has(id)));
    for (const line of out.split('\n').filter(Boolean)) {
      const s = JSON.parse(line) as { namespace: string; rule: { id: string; severity: string; tags: Record<string, string> }; process: { pid: number }; event: { type: string } };
      assert.equal(s.namespace, 'host');
      assert.ok(s.rule.severity && s.rule.tags.technique && s.process.pid > 0 && s.event.type, line.slice(0, 300));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  assert.match(err, /"msg":"sensor stopped"/);
});
