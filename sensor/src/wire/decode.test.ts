import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decoder, splitNul, type DecodedEvent } from './decode.ts';
import { dnsRecord, frame, openRecord } from './synthetic.ts';
import { LAYOUT } from './wire.generated.ts';

const OPEN = LAYOUT.file_open_event;

describe('Decoder', () => {
  it('decodes framed records into typed events', () => {
    const buf = frame([openRecord({ pid: 7, path: '/tmp/a' }), openRecord({ pid: 8, path: '/tmp/bb', ret: -2 })]);
    const out: DecodedEvent[] = [];
    const d = new Decoder();
    d.batch(buf, buf.length, out);
    assert.equal(out.length, 2);
    const [a, b] = out;
    assert.ok(a?.type === 'open' && b?.type === 'open');
    assert.equal(a.rec.hdr.pid, 7);
    assert.equal(a.rec.hdr.comm, 'cat');
    assert.equal(a.rec.hdr.mntns, 4026531841);
    assert.equal(a.rec.file.path, '/tmp/a');
    assert.equal(a.rec.file.ino, 7);
    assert.equal(a.rec.flags, 0o1101);
    assert.equal(b.rec.ret, -2);
    assert.equal(b.rec.file.path, '/tmp/bb');
    assert.deepEqual(d.stats, { records: 2, bytes: buf.length - 16, badFrame: 0, badVersion: 0, unknownType: 0, badSize: 0 });
  });

  it('counts and skips records that break the contract, keeping the rest', () => {
    const good = openRecord();
    const short = good.subarray(0, 40);
    const truncated = openRecord().subarray(0, OPEN.size - 8);
    const buf = frame([openRecord({ version: 99 }), openRecord({ type: 63 }), short, truncated, good]);
    const out: DecodedEvent[] = [];
    const d = new Decoder();
    d.batch(buf, buf.length, out);
    assert.equal(out.length, 1);
    assert.equal(d.stats.badVersion, 1);
    assert.equal(d.stats.unknownType, 1);
    assert.equal(d.stats.badSize, 2);
    // a frame that runs past the batch ends it
    d.batch(buf, buf.length - 4, out);
    assert.equal(d.stats.badFrame, 1);
  });
});

describe('Decoder: DNS payloads', () => {
  it('copies the payload out of the batch, clipped to its record', () => {
    const rec = dnsRecord({ payload: Buffer.from('abcdefgh') });
    const claimsMore = Buffer.from(rec);
    claimsMore.writeUInt16LE(4000, LAYOUT.dns_packet_event.fields.payload_len);
    const buf = frame([rec, claimsMore]);
    const out: DecodedEvent[] = [];
    new Decoder().batch(buf, buf.length, out);
    const [a, b] = out;
    assert.ok(a?.type === 'dns' && b?.type === 'dns');
    assert.equal(a.payload.toString(), 'abcdefgh');
    buf.fill(0);
    assert.equal(a.payload.toString(), 'abcdefgh', 'a copy: the batch buffer is reused');
    assert.equal(b.payload.length, rec.length - LAYOUT.dns_packet_event.size, 'no further than the record');
  });
});

describe('splitNul', () => {
  it('splits argv blocks, keeping empty arguments and a cut last one', () => {
    assert.deepEqual(splitNul('a\0\0b c\0'), ['a', '', 'b c']);
    assert.deepEqual(splitNul('a\0par'), ['a', 'par']);
    assert.deepEqual(splitNul(''), []);
  });
});
