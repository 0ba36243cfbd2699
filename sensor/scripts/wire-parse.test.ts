import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LAYOUT, RECORD_STRUCT } from '../src/wire/wire.generated.ts';
import { generateTs } from './gen-wire.ts';
import { layoutOf, parseHeader, type Layout } from './wire-parse.ts';

const SAMPLE = `
#define LIMIT 0x10
#define NAME_LEN 8
enum kind {
	KIND_A = 1, /* wire: rec_a */
	KIND_B = 2,
};
/* comment with struct nothing { int x; }; */
struct inner {
	__u16 off;
	__u16 len;
};
struct rec_a {
	__u8 tag;         // aligned up to 8 for the u64
	__u64 value;
	struct inner name;
	char label[NAME_LEN];
	__s32 small[2];
};
`;

describe('wire-parse', () => {
  it('parses defines, enums with wire comments and structs', () => {
    const h = parseHeader(SAMPLE);
    assert.equal(h.defines.get('LIMIT'), 16);
    assert.deepEqual(h.enums.get('kind'), [
      { name: 'KIND_A', value: 1, wire: 'rec_a' },
      { name: 'KIND_B', value: 2 },
    ]);
    assert.deepEqual([...h.structs.keys()], ['inner', 'rec_a']);
  });

  it('lays structs out with natural alignment and tail padding', () => {
    const l = layoutOf(parseHeader(SAMPLE), 'rec_a');
    assert.deepEqual(l.fields.map((f) => [f.name, f.offset]), [
      ['tag', 0],
      ['value', 8],
      ['name', 16],
      ['label', 20],
      ['small', 28],
    ]);
    assert.equal(l.size, 40);
    assert.equal(l.align, 8);
  });

  it('rejects what it does not understand instead of guessing', () => {
    assert.throws(() => parseHeader('struct x {\n\tint y;\n};\n'), /cannot parse field/);
    assert.throws(() => parseHeader('struct x {\n\tstruct nope n;\n};\n'), /not defined before use/);
  });

  it('matches the committed generated file (run make generate when this fails)', () => {
    const src = readFileSync(new URL('../../bpf/include/events.h', import.meta.url), 'utf8');
    const h = parseHeader(src);
    const layouts = new Map<string, Layout>([...h.structs.keys()].map((n) => [n, layoutOf(h, n)]));
    const committed = readFileSync(new URL('../src/wire/wire.generated.ts', import.meta.url), 'utf8');
    assert.equal(generateTs(h, layouts), committed);
    assert.equal(LAYOUT.event_header.size, 80);
    assert.equal(RECORD_STRUCT[16], 'file_open_event');
  });
});
