import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventsArgsSchema, eventTypesOf } from './events.ts';

describe('vigil-sensor events arguments', () => {
  it('parses families, types and numbers at the edge', () => {
    const a = EventsArgsSchema.parse({ family: 'file', type: 'open, unlink', count: '5' });
    assert.deepEqual(a.family, ['file']);
    assert.deepEqual(eventTypesOf(a), ['open', 'unlink']);
    assert.equal(a.count, 5);
    assert.equal(a.env, false);
    assert.deepEqual(eventTypesOf(EventsArgsSchema.parse({ family: 'process' })), ['exec', 'fork', 'exit']);
    assert.deepEqual(eventTypesOf(EventsArgsSchema.parse({ family: 'dns,network' })), ['dns', 'dns_response', 'connect', 'accept', 'bind']);
    assert.ok(eventTypesOf(EventsArgsSchema.parse({ family: 'kernel' })).includes('memfd_create'));
    assert.equal(eventTypesOf(EventsArgsSchema.parse({})).length, 36);
  });

  it('rejects unknown families and types', () => {
    assert.equal(EventsArgsSchema.safeParse({ family: 'net' }).success, false);
    assert.equal(EventsArgsSchema.safeParse({ type: 'open,bogus' }).success, false);
    assert.equal(EventsArgsSchema.safeParse({ count: '-1' }).success, false);
  });
});
