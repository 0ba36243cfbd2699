// The wire contract checked mechanically on both sides: the offsets the generator computed
// for TypeScript (sensor/src/wire/wire.generated.ts) equal the C++ compiler's sizeof and
// offsetof for every struct of bpf/include/events.h, as the addon reports them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addonBuilt, ADDON_PATH, loadAddon } from '../../sensor/src/native/addon.ts';
import { LAYOUT, VIGIL_WIRE_VERSION } from '../../sensor/src/wire/wire.generated.ts';

describe('wire layout', { skip: addonBuilt() ? false : `the sensor addon is not built (${ADDON_PATH}): run make build` }, () => {
  it('has the same wire version on both sides', () => {
    assert.equal(loadAddon().wireVersion, VIGIL_WIRE_VERSION);
  });

  it('has the same structs, sizes and field offsets as the C++ compiler', () => {
    const native = loadAddon().layout();
    assert.deepEqual(Object.keys(native).sort(), Object.keys(LAYOUT).sort());
    for (const [name, ts] of Object.entries(LAYOUT)) {
      const c = native[name];
      assert.ok(c, `struct ${name} missing from the addon`);
      assert.equal(ts.size, c.size, `sizeof(struct ${name})`);
      assert.deepEqual(ts.fields, c.fields, `offsets of struct ${name}`);
    }
  });
});
