// The harness itself: pinned versions are what /version reports, and no process or port
// outlives a stopped, killed or crashed control plane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlane, kubectl, waitFor } from '../cluster/index.ts';
import { pinnedVersions } from '../cluster/binaries.ts';
import { sweepStale } from '../cluster/control-plane.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Running, and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('version is the pinned one and stop() leaves nothing running', async () => {
  const cp = await ControlPlane.start({ controllerManager: true });
  const pids = cp.pids();
  assert.equal(pids.length, 3);
  const version = JSON.parse(kubectl(cp.kubeconfigPath, ['version', '-o', 'json']));
  assert.equal(version.serverVersion.gitVersion, pinnedVersions().KUBE_VERSION);
  assert.equal(version.clientVersion.gitVersion, pinnedVersions().KUBE_VERSION);
  assert.match(kubectl(cp.kubeconfigPath, ['get', 'ns', '-o', 'name']), /namespace\/default/);
  const dir = cp.dir;
  await cp.stop();
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running after stop()`);
  assert.equal(existsSync(dir), false);
});

test('a SIGKILLed harness takes its components with it, and the next start sweeps its state', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '..', 'fixtures', 'hold-control-plane.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.ok(alive(pid));
  child.kill('SIGKILL');
  // pdeathsig: the kernel kills etcd and the apiserver when their parent dies.
  await waitFor('orphans gone', 15_000, () => pids.every((pid) => !alive(pid)));
  assert.ok(existsSync(dir), 'a crashed harness cannot clean its own state');
  await waitFor('holder reaped', 5_000, () => child.exitCode !== null || child.signalCode !== null);
  assert.ok(sweepStale() >= 1);
  assert.equal(existsSync(dir), false);
});
