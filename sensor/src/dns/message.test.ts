import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DNS_TYPE, dnsTypeName, encodeDnsQuery, parseDnsMessage, parseDnsTcpSegment, type DnsErrorCode } from './message.ts';

/** A response to `encodeDnsQuery(name)` with the given answers (names compressed to the question). */
function response(name: string, answers: Array<{ type: number; rdata: number[] | Buffer }>, rcode = 0): Buffer {
  const q = Buffer.from(encodeDnsQuery(name));
  q.writeUInt16BE(0x8180 | rcode, 2);
  q.writeUInt16BE(answers.length, 6);
  const parts = [q];
  for (const a of answers) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(300, 6);
    rr.writeUInt16BE(a.rdata.length, 10);
    parts.push(rr, Buffer.from(a.rdata));
  }
  return Buffer.concat(parts);
}

test('a query: name lowercased, type and class', () => {
  const r = parseDnsMessage(encodeDnsQuery('Pool.MineXMR.com', DNS_TYPE.A, 7));
  assert.ok(r.ok);
  assert.equal(r.message.id, 7);
  assert.equal(r.message.response, false);
  assert.deepEqual(r.message.questions, [{ name: 'pool.minexmr.com', type: 1, class: 1 }]);
  assert.deepEqual(r.message.answers, []);
});

test('a response: rcode and A/AAAA/CNAME answers through compression pointers', () => {
  const v6 = Buffer.alloc(16);
  v6.writeUInt16BE(0x2001, 0);
  v6.writeUInt16BE(0x0db8, 2);
  v6.writeUInt16BE(1, 14);
  const r = parseDnsMessage(response('pool.minexmr.com', [
    { type: DNS_TYPE.A, rdata: [127, 0, 0, 1] },
    { type: DNS_TYPE.AAAA, rdata: v6 },
    { type: DNS_TYPE.CNAME, rdata: [3, 0x61, 0x62, 0x63, 0xc0, 0x0c] },
  ]));
  assert.ok(r.ok);
  assert.equal(r.message.response, true);
  assert.equal(r.message.rcode, 0);
  assert.deepEqual(r.message.answers.map((a) => a.data), ['127.0.0.1', '2001:db8::1', 'abc.pool.minexmr.com']);
  assert.equal(r.message.answers[0]?.name, 'pool.minexmr.com');
  assert.equal(r.message.answers[0]?.ttl, 300);
});

test('NXDOMAIN carries its rcode', () => {
  const r = parseDnsMessage(response('nope.example', [], 3));
  assert.ok(r.ok);
  assert.equal(r.message.rcode, 3);
});

test('a name of full length (255 on the wire) parses; one octet more is refused', () => {
  // 4 labels of 63 octets = 4*64 + 1 = 257 > 255; 3 labels of 63 plus one of 61 = 255.
  const ok = [63, 63, 63, 61].map((n) => 'a'.repeat(n)).join('.');
  const r = parseDnsMessage(encodeDnsQuery(ok));
  assert.ok(r.ok);
  assert.equal(r.message.questions[0]?.name.length, 253);
  const tooLong = [63, 63, 63, 62].map((n) => 'a'.repeat(n)).join('.');
  assert.deepEqual(parseDnsMessage(encodeDnsQuery(tooLong)), { ok: false, error: 'name-too-long' });
});

test('malformed packets are refused with their cause', () => {
  const cases: Array<[string, Uint8Array, DnsErrorCode]> = [];
  cases.push(['short header', Buffer.alloc(5), 'truncated']);
  const noQ = Buffer.from(encodeDnsQuery('a.b'));
  noQ.writeUInt16BE(0, 4);
  cases.push(['no question', noQ, 'no-question']);
  const manyQ = Buffer.from(encodeDnsQuery('a.b'));
  manyQ.writeUInt16BE(60000, 4);
  cases.push(['absurd QDCOUNT', manyQ, 'too-many-records']);
  const selfLoop = Buffer.from(encodeDnsQuery('a.b'));
  selfLoop.writeUInt16BE(0xc00c, 12); // the question name points at itself
  cases.push(['self pointer', selfLoop, 'pointer-loop']);
  const forward = Buffer.concat([Buffer.from(encodeDnsQuery('x')).subarray(0, 12), Buffer.from([0xc0, 0x10, 0, 0, 1, 0, 1])]);
  cases.push(['forward pointer', forward, 'pointer-loop']);
  const longLabel = Buffer.concat([Buffer.from(encodeDnsQuery('x')).subarray(0, 12), Buffer.from([0x3f + 1]), Buffer.alloc(80, 0x61)]);
  cases.push(['label type 0x40', longLabel, 'bad-label-type']);
  const cut = Buffer.from(encodeDnsQuery('pool.minexmr.com')).subarray(0, 20);
  cases.push(['cut inside the name', cut, 'truncated']);
  for (const [what, buf, code] of cases) assert.deepEqual(parseDnsMessage(buf), { ok: false, error: code }, what);
});

test('a response cut short keeps its question and whole answers', () => {
  const full = response('a.example', [{ type: DNS_TYPE.A, rdata: [10, 0, 0, 1] }, { type: DNS_TYPE.A, rdata: [10, 0, 0, 2] }]);
  const r = parseDnsMessage(full.subarray(0, full.length - 2));
  assert.ok(r.ok);
  assert.deepEqual(r.message.answers.map((a) => a.data), ['10.0.0.1']);
});

test('DNS over TCP: the 2-byte length prefix', () => {
  const q = Buffer.from(encodeDnsQuery('pool.minexmr.com'));
  const seg = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
  const r = parseDnsTcpSegment(seg);
  assert.ok(r.ok);
  assert.equal(r.message.questions[0]?.name, 'pool.minexmr.com');
});

test('label bytes that are not printable are escaped, never passed through', () => {
  const q = Buffer.from(encodeDnsQuery('ab.c'));
  q[13] = 0x0a; // newline inside the first label
  const r = parseDnsMessage(q);
  assert.ok(r.ok);
  assert.equal(r.message.questions[0]?.name, '\\010b.c');
});

test('type names', () => {
  assert.equal(dnsTypeName(28), 'AAAA');
  assert.equal(dnsTypeName(65), '65');
});

test('fuzz: 100k random and mutated packets never throw and never hang', () => {
  let seed = 0x9e3779b9;
  const rand = (): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const seeds = [
    encodeDnsQuery('pool.minexmr.com'),
    response('a.example', [{ type: DNS_TYPE.A, rdata: [1, 2, 3, 4] }, { type: DNS_TYPE.CNAME, rdata: [1, 0x62, 0xc0, 0x0c] }]),
  ];
  const outcomes = new Map<string, number>();
  const started = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) {
    let buf: Uint8Array;
    if (i % 4 === 0) {
      buf = new Uint8Array(Math.floor(rand() * 80));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
    } else {
      buf = Uint8Array.from(seeds[i % seeds.length] as Uint8Array);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      if (rand() < 0.2) buf = buf.subarray(0, Math.floor(rand() * buf.length));
    }
    const r = parseDnsMessage(buf);
    const key = r.ok ? 'ok' : r.error;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // Both valid and refused packets must have been exercised for the fuzz to mean anything.
  assert.ok((outcomes.get('ok') ?? 0) > 1000, JSON.stringify([...outcomes]));
  assert.ok([...outcomes.keys()].filter((k) => k !== 'ok').length >= 4, JSON.stringify([...outcomes]));
  process.stderr.write(`dns fuzz: 100k packets in ${ms.toFixed(0)} ms: ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
});
