import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import { formatEvent } from './format.ts';

describe('formatEvent', () => {
  it('shortens ancestors and leaves the environment out unless asked', () => {
    const parent = { ...emptyProcess(), pid: 1, comm: 'init', envp: ['SECRET=1'] };
    const process = { ...emptyProcess(), pid: 2, ppid: 1, envp: ['TOKEN=x'], ancestors: [parent] };
    const ev: SeclEvent = { type: 'exec', timestamp: 1, process };
    const out = formatEvent(ev, { env: false }) as { process: Record<string, unknown> };
    assert.equal(out.process.envp, undefined);
    assert.deepEqual(out.process.ancestors, [{ pid: 1, ppid: 0, comm: 'init', path: '', argv0: '', argv: [], uid: 0, user: '' }]);
    const withEnv = formatEvent(ev, { env: true }) as { process: Record<string, unknown> };
    assert.deepEqual(withEnv.process.envp, ['TOKEN=x']);
    assert.ok(!JSON.stringify(withEnv).includes('SECRET'));
  });
});
