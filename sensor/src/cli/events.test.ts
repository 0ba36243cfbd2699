import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import { EventsArgsSchema, eventTypesOf } from './events.ts';
import { formatEvent } from './format.ts';

describe('vigil-sensor events arguments', () => {
  it('parses families, types and numbers at the edge', () => {
    const a = EventsArgsSchema.parse({ family: 'file', type: 'open, unlink', count: '5' });
    assert.deepEqual(a.family, ['file']);
    assert.deepEqual(eventTypesOf(a), ['open', 'unlink']);
    assert.equal(a.count, 5);
    assert.equal(a.env, false);
    assert.deepEqual(eventTypesOf(EventsArgsSchema.parse({ family: 'process' })), ['exec', 'fork', 'exit']);
    assert.equal(eventTypesOf(EventsArgsSchema.parse({})).length, 16);
  });

  it('rejects unknown families and types', () => {
    assert.equal(EventsArgsSchema.safeParse({ family: 'network' }).success, false);
    assert.equal(EventsArgsSchema.safeParse({ type: 'open,bogus' }).success, false);
    assert.equal(EventsArgsSchema.safeParse({ count: '-1' }).success, false);
  });
});

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
