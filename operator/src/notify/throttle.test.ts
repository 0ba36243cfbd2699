import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from './throttle.ts';

test('100 offers in one window: max sent, the rest in one digest when the window ends', async () => {
  const digests: { key: string; held: number[]; span: number }[] = [];
  const t = new Throttle<number>({ max: 5, perMs: 80 }, (key, held, from, to) => digests.push({ key, held: [...held], span: to.getTime() - from.getTime() }));
  const decisions = Array.from({ length: 100 }, (_, i) => t.offer('rule|shop/web', i));
  assert.equal(decisions.filter((d) => d === 'send').length, 5);
  assert.deepEqual(decisions.slice(0, 6), ['send', 'send', 'send', 'send', 'send', 'held']);
  assert.equal(t.heldCount, 95);
  assert.equal(digests.length, 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(digests.length, 1);
  assert.equal(digests[0]?.held.length, 95);
  assert.equal(digests[0]?.held[0], 5);
  assert.equal(digests[0]?.span, 80);
  // A new window starts fresh.
  assert.equal(t.offer('rule|shop/web', 100), 'send');
  t.clear();
});

test('keys are independent; a window without held items sends no digest; clear() drops windows', async () => {
  const digests: string[] = [];
  const t = new Throttle<string>({ max: 1, perMs: 40 }, (key) => digests.push(key));
  assert.equal(t.offer('a', 'x'), 'send');
  assert.equal(t.offer('b', 'y'), 'send');
  assert.equal(t.offer('b', 'z'), 'held');
  t.hold('c', 'restarted');
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(digests.sort(), ['b', 'c']);
  t.offer('d', '1');
  t.offer('d', '2');
  t.clear();
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(digests.sort(), ['b', 'c']);
});

test('flush() digests every open window at once (the throttle settings changed)', () => {
  const digests: [string, number][] = [];
  const t = new Throttle<number>({ max: 1, perMs: 60_000 }, (key, held) => digests.push([key, held.length]));
  for (let i = 0; i < 4; i++) t.offer('a', i);
  t.offer('b', 9);
  t.flush();
  assert.deepEqual(digests, [['a', 3]]);
  assert.equal(t.heldCount, 0);
  assert.equal(t.offer('a', 10), 'send');
  t.clear();
});
