import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.ts';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'vigil-spool-'));

test('records come out in order and survive a restart', () => {
  const dir = fresh();
  const a = new Spool<{ n: number }>(dir);
  assert.deepEqual(a.append([{ n: 1 }, { n: 2 }, { n: 3 }]), [1, 2, 3]);
  a.remove([1]);
  const b = new Spool<{ n: number }>(dir);
  assert.equal(b.depth, 2);
  assert.deepEqual(b.peek(10).map((r) => r.value.n), [2, 3]);
  // Sequence numbers keep growing across restarts, so order holds.
  assert.deepEqual(b.append([{ n: 4 }]), [4]);
  assert.deepEqual(b.peek(10).map((r) => r.seq), [2, 3, 4]);
});

test('bounded by records and bytes: refusals are counted, nothing already in is lost', () => {
  const s = new Spool<string>(fresh(), { maxRecords: 2 });
  assert.deepEqual(s.append(['a', 'b', 'c']), [1, 2, undefined]);
  assert.equal(s.stats.refused, 1);
  const t = new Spool<string>(fresh(), { maxBytes: 10 });
  assert.deepEqual(t.append(['"1234"', '"5678"']), [1, undefined]);
  assert.equal(t.stats.refused, 1);
  assert.equal(t.peek(5)[0]?.value, '"1234"');
});

test('a torn tmp file from a crash is removed; a corrupt record is dropped and counted, not blocking', () => {
  const dir = fresh();
  const s = new Spool<number>(dir);
  s.append([1, 2]);
  writeFileSync(join(dir, '0000000000000003.json.tmp'), '{"half');
  writeFileSync(join(dir, '0000000000000001.json'), '{not json');
  const r = new Spool<number>(dir);
  assert.equal(readdirSync(dir).some((n) => n.endsWith('.tmp')), false);
  assert.deepEqual(r.peek(5).map((x) => x.value), [2]);
  assert.equal(r.stats.corrupt, 1);
  assert.equal(r.depth, 1);
});
