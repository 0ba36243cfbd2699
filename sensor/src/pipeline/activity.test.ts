import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { encodeDnsQuery } from '../dns/message.ts';
import { ProcessCache } from '../process/cache.ts';
import type { ProcSnapshot, ProcSource } from '../process/procfs.ts';
import { UserNames } from '../process/users.ts';
import { dnsRecord, frame, netAddr, signalRecord, socketRecord } from '../wire/synthetic.ts';
import { DNS_F_RESPONSE, DNS_F_TCP, DNS_F_TRUNCATED, DNS_F_UNATTRIBUTED, EventType } from '../wire/wire.generated.ts';
import { addrText, helpersOf, moduleNameOfFile } from './activity.ts';
import { Enricher } from './enrich.ts';
import type { DnsResponseEvent, SensorEvent } from './events.ts';
import { Pipeline } from './pipeline.ts';

const HOST_PIDNS = 4026531836;

function snapshot(pid: number, exe: string): ProcSnapshot {
  return {
    pid, ppid: 1, uid: 0, gid: 0, euid: 0, egid: 0, fsuid: 0, fsgid: 0, auid: 4294967295, capEffective: 0, capPermitted: 0,
    comm: exe.slice(exe.lastIndexOf('/') + 1), exe, argv: [exe], cwd: '/', startBootNs: 1, cgroupPath: '/', isKernelThread: false,
  } satisfies ProcSnapshot;
}

/** A pipeline over synthetic batches; /proc knows pid 42 (python3) and pid 77 (sleep). */
function setup(): { run: (records: Buffer[]) => SensorEvent[]; enricher: Enricher } {
  const procs = new Map([[42, snapshot(42, '/usr/bin/python3.11')], [77, snapshot(77, '/usr/bin/sleep')]]);
  const proc: ProcSource = { pids: () => [], read: (pid) => procs.get(pid), ppidOf: (pid) => procs.get(pid)?.ppid };
  const users = new UserNames();
  const cache = new ProcessCache({ clockOffsetNs: 0, proc, users });
  const enricher = new Enricher(cache, users, 0, 'node-1', { pidNamespace: HOST_PIDNS });
  let out: SensorEvent[] = [];
  const p = new Pipeline(enricher, cache, [(evs) => (out = [...evs])]);
  return {
    enricher,
    run: (records) => {
      const buf = frame(records);
      p.onBatch(buf, buf.length);
      return out;
    },
  };
}

/** A response answering name with A records. */
function response(name: string, ips: string[]): Uint8Array {
  const q = Buffer.from(encodeDnsQuery(name));
  q.writeUInt16BE(0x8180, 2);
  q.writeUInt16BE(ips.length, 6);
  const rrs = ips.map((ip) => Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip.split('.').map(Number)]));
  return Buffer.concat([q, ...rrs]);
}

describe('activity enrichment: dns', () => {
  it('turns a query into a SECL dns event with the network context and the sending process', () => {
    const { run } = setup();
    const [ev] = run([dnsRecord({ payload: encodeDnsQuery('Pool.MineXMR.com', 1, 7) })]) as SeclEvent[];
    assert.equal(ev?.type, 'dns');
    assert.deepEqual(ev.dns, { id: 7, question: { name: 'pool.minexmr.com', type: 1, class: 1, count: 1, length: 34 } });
    assert.deepEqual(ev.network?.destination, { ip: '127.0.0.1', port: 53 });
    assert.equal(ev.network?.l4_protocol, 17);
    assert.equal(ev.process.pid, 42);
    assert.equal(ev.process.file.path, '/usr/bin/python3.11');
    assert.equal(ev.hostname, 'node-1');
  });

  it('parses a TCP segment after its length prefix; question.length is the message alone', () => {
    const { run } = setup();
    const msg = encodeDnsQuery('example.com');
    const seg = Buffer.concat([Buffer.from([0, msg.length]), msg]);
    const [ev] = run([dnsRecord({ payload: seg, flags: DNS_F_TCP, l4: 6 })]) as SeclEvent[];
    assert.equal(ev?.dns?.question.name, 'example.com');
    assert.equal(ev?.dns?.question.length, msg.length);
  });

  it('skips malformed packets and counts them by cause; a cut payload still parses and is counted', () => {
    const { run, enricher } = setup();
    const loop = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const evs = run([
      dnsRecord({ payload: Buffer.from([1, 2, 3]) }),
      dnsRecord({ payload: loop }),
      dnsRecord({ payload: encodeDnsQuery('ok.example'), flags: DNS_F_TRUNCATED, full: 5000 }),
    ]);
    assert.deepEqual(evs.map((e) => e.type), ['dns']);
    const dns = enricher.stats.dns;
    assert.equal(dns.malformed.truncated, 1);
    assert.equal(dns.malformed['pointer-loop'], 1);
    assert.equal(dns.truncated, 1);
    assert.equal(dns.queries, 1);
  });

  it('reports an unattributed packet with an empty process, never a made-up one', () => {
    const { run, enricher } = setup();
    const [ev] = run([dnsRecord({ pid: 0, flags: DNS_F_UNATTRIBUTED, payload: encodeDnsQuery('x.example') })]);
    assert.equal(ev?.process.pid, 0);
    assert.equal(ev?.process.file.path, '');
    assert.equal(enricher.stats.dns.unattributed, 1);
  });

  it('feeds responses into the resolved names: a later connect carries the hostname, IPv4-mapped too', () => {
    const { run, enricher } = setup();
    const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3];
    const evs = run([
      dnsRecord({ type: EventType.EVENT_DNS_RESPONSE, flags: DNS_F_RESPONSE, payload: response('pool.minexmr.com', ['10.1.2.3']) }),
      socketRecord({ addr: netAddr('10.1.2.3', 443) }),
      socketRecord({ addr: netAddr(mapped, 443) }),
      socketRecord({ addr: netAddr('10.9.9.9', 443) }),
      socketRecord({ type: EventType.EVENT_BIND, addr: netAddr('10.1.2.3', 80) }),
    ]);
    const resp = evs[0] as DnsResponseEvent;
    assert.equal(resp.type, 'dns_response');
    assert.deepEqual(resp.dns_response.answers, [{ name: 'pool.minexmr.com', type: 1, class: 1, ttl: 60, data: '10.1.2.3' }]);
    assert.equal(enricher.activity.resolved.lookup('10.1.2.3'), 'pool.minexmr.com');
    const [c1, c2, c3, bind] = evs.slice(1) as SeclEvent[];
    assert.deepEqual(c1?.connect?.addr, { ip: '10.1.2.3', port: 443, family: 2, hostname: 'pool.minexmr.com' });
    assert.deepEqual(c2?.connect?.addr, { ip: '::ffff:a01:203', port: 443, family: 10, hostname: 'pool.minexmr.com' });
    assert.equal(c3?.connect?.addr.hostname, '');
    assert.equal(bind?.bind?.addr.hostname, '', 'a bind names no remote host');
  });
});

describe('activity enrichment: kernel', () => {
  it('resolves a signal target only when the caller shares the sensor pid namespace', () => {
    const { run } = setup();
    const [host, contained] = run([
      signalRecord({ target: 77, sig: 15 }),
      signalRecord({ target: 77, sig: 15, pidns: 4026532999, nsPid: 5 }),
    ]) as SeclEvent[];
    assert.equal(host?.signal?.target?.file.path, '/usr/bin/sleep');
    assert.deepEqual({ ...host?.signal, target: undefined }, { retval: 0, type: 15, pid: 77, target: undefined });
    assert.equal(contained?.signal?.pid, 77);
    assert.equal(contained?.signal?.target, undefined, 'pid 77 of another namespace is not host pid 77');
  });

  it('helpers: the bit map of helper calls as ids', () => {
    assert.deepEqual(helpersOf([0b10000000, 0, 0, 1 << 31, 0, 0, 0, 1]), [7, 127, 224]);
    assert.deepEqual(helpersOf([0, 0, 0, 0, 0, 0, 0, 0]), []);
  });

  it('names a module by its file, and prints addresses as the resolved-names cache keys them', () => {
    assert.equal(moduleNameOfFile('/lib/modules/6.1/kernel/nf-conntrack.ko.zst'), 'nf_conntrack');
    assert.equal(moduleNameOfFile('rootkit.ko'), 'rootkit');
    assert.equal(addrText(netAddr([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0)), '::1');
    assert.equal(addrText({ ip: new Array<number>(16).fill(0), port: 0, family: 0 }), '');
  });
});
