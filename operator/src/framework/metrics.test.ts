import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './metrics.ts';

test('renders counters and gauges in the Prometheus text format', () => {
  const r = new Registry();
  const c = r.counter('vigil_things_total', 'Things.');
  c.inc({ kind: 'a' });
  c.inc({ kind: 'a' }, 2);
  c.inc({ kind: 'b"x' });
  r.gauge('vigil_depth', 'Depth.', (g) => g.set(7));
  const text = r.render();
  assert.match(text, /# TYPE vigil_things_total counter\nvigil_things_total\{kind="a"\} 3\nvigil_things_total\{kind="b\\"x"\} 1/);
  assert.match(text, /vigil_depth 7/);
  assert.equal(r.counter('vigil_things_total', 'again'), c);
});
