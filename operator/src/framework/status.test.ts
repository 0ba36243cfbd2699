import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeConditions } from './status.ts';

test('conditions keep foreign types and their transition time while status holds', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:05:00Z');
  const first = mergeConditions([{ type: 'Sent', status: 'True', reason: 'Ok', message: '', lastTransitionTime: '2025-12-31T00:00:00Z' }],
    [{ type: 'Valid', status: 'True', reason: 'Checked' }, { type: 'Ready', status: 'False', reason: 'Pending' }], 3, t0);
  assert.deepEqual(first.map((c) => c.type), ['Sent', 'Valid', 'Ready']);
  assert.equal(first.find((c) => c.type === 'Valid')?.observedGeneration, 3);
  const second = mergeConditions(first, [{ type: 'Valid', status: 'True', reason: 'Checked', message: 'again' },
    { type: 'Ready', status: 'True', reason: 'Loaded' }], 4, t1);
  assert.equal(second.find((c) => c.type === 'Valid')?.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(second.find((c) => c.type === 'Ready')?.lastTransitionTime, '2026-01-01T00:05:00Z');
  assert.equal(second.find((c) => c.type === 'Sent')?.lastTransitionTime, '2025-12-31T00:00:00Z');
});
