import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyFile, emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import { SignalSpecSchema } from '@vigil/operator/api';
import { dedupKey, eventFields, signalContent, signalName } from './signal-content.ts';

function openEvent(path: string, containerId = ''): SeclEvent {
  const process = { ...emptyProcess(), pid: 7, comm: 'cat', argv0: 'cat', argv: [path] };
  process.file = { ...emptyFile(), path: '/usr/bin/cat', name: 'cat' };
  const container = containerId ? { id: containerId, created_at: 0, runtime: 'containerd', tags: [] } : undefined;
  return {
    type: 'open', timestamp: 1, process: container ? { ...process, container } : process, ...(container ? { container } : {}),
    open: { file: { ...emptyFile(), path, name: path.split('/').pop() as string, destination: { mode: 0 } }, flags: 0o1, retval: 3 },
  };
}

test('fields are named as SECL names them, zero values left out', () => {
  const f = eventFields(openEvent('/etc/shadow'));
  assert.equal(f['open.file.path'], '/etc/shadow');
  assert.equal(f['open.file.name'], 'shadow');
  assert.equal(f['open.flags'], 1);
  assert.equal(f['open.retval'], 3);
  assert.equal(f['process.file.path'], '/usr/bin/cat');
  assert.equal('open.file.inode' in f, false);
});

test('a hostile process cannot bloat a Signal: args and strings are bounded, and the spec stays valid', () => {
  const ev = openEvent('/x'.repeat(5000));
  ev.process.argv = Array.from({ length: 1000 }, () => 'A'.repeat(10_000));
  const c = signalContent({ rule: { id: 'r', severity: 'low' }, event: ev }, { node: 'n', hostNamespace: 'vigil-system', now: 0 });
  assert.ok((c.spec.process.args?.length ?? 0) <= 64);
  assert.ok(c.spec.process.args?.every((a) => a.length <= 1024));
  assert.ok(String(c.spec.event.fields?.['open.file.path']).length <= 1024);
  assert.ok(JSON.stringify(c.spec).length < 200_000);
  SignalSpecSchema.parse(c.spec);
  assert.equal(c.namespace, 'vigil-system');
});

test('the dedup key separates rule, node, container and executable', () => {
  const a = dedupKey('r', 'n', openEvent('/a', 'c'.repeat(64)));
  assert.equal(a, dedupKey('r', 'n', openEvent('/b', 'c'.repeat(64))), 'the opened file is not part of the key');
  assert.notEqual(a, dedupKey('r2', 'n', openEvent('/a', 'c'.repeat(64))));
  assert.notEqual(a, dedupKey('r', 'n2', openEvent('/a', 'c'.repeat(64))));
  assert.notEqual(a, dedupKey('r', 'n', openEvent('/a', 'd'.repeat(64))));
});

test('names are valid object names whatever the rule id', () => {
  for (const id of ['shell_in_container', 'Weird Rule!!', '___', 'x'.repeat(300)]) {
    const n = signalName(id, 'ab'.repeat(32), 1_700_000_000_000);
    assert.match(n, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(n.length <= 63, n);
  }
});
