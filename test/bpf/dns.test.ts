// DNS and network activity against the real kernel: queries sent by python3 to a resolver on
// 127.0.0.1:53, over UDP and TCP, from the host and from a new network namespace; malformed
// and fuzzed packets skipped and counted; a connect carrying the hostname its address was
// resolved from; accept and bind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { encodeDnsQuery, parseDnsMessage, parseDnsTcpSegment } from '../../sensor/src/dns/message.ts';
import type { DnsResponseEvent, SensorEvent } from '../../sensor/src/pipeline/events.ts';
import { DNS_F_TCP, DNS_F_UNATTRIBUTED } from '../../sensor/src/wire/wire.generated.ts';
import { openTestSensor, runOps, skipReason, type TestSensor } from './helpers.ts';

const skip = skipReason() ?? (spawnSync('python3', ['--version']).status === 0 ? undefined : 'python3 is not installed');
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dns-client.py');
const A = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** The test's resolver on 127.0.0.1:53: every A question is answered with 127.0.0.1. */
class LoopbackResolver {
  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
  ) {}

  static answer(msg: Buffer): Buffer {
    let end = 12;
    while (end < msg.length && msg[end] !== 0) end += (msg[end] as number) + 1;
    end += 5;
    const isA = msg.readUInt16BE(end - 4) === A;
    const header = Buffer.from([msg[0] ?? 0, msg[1] ?? 0, 0x81, 0x80, 0, 1, 0, isA ? 1 : 0, 0, 0, 0, 0]);
    const rr = isA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    return Buffer.concat([header, msg.subarray(12, end), rr]);
  }

  /** Binds port 53 exclusively, waiting while another test's resolver holds it. */
  static async start(timeoutMs = 120_000): Promise<LoopbackResolver> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await LoopbackResolver.tryStart();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private static async tryStart(): Promise<LoopbackResolver> {
    const udp = createSocket({ type: 'udp4', reuseAddr: false });
    // only well-formed queries are answered: an answer to garbage would be garbage too
    udp.on('message', (msg, from) => {
      if (parseDnsMessage(msg).ok) udp.send(LoopbackResolver.answer(msg), from.port, from.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(53, '127.0.0.1', () => resolve());
    });
    const tcp = createServer((c) => {
      c.once('data', (d: Buffer) => {
        if (parseDnsTcpSegment(d).ok) {
          const resp = LoopbackResolver.answer(d.subarray(2));
          const len = Buffer.alloc(2);
          len.writeUInt16BE(resp.length);
          c.end(Buffer.concat([len, resp]));
        } else c.end();
      });
      c.on('error', () => undefined);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(53, '127.0.0.1', () => resolve());
      });
    } catch (e) {
      udp.close();
      throw e;
    }
    return new LoopbackResolver(udp, tcp);
  }

  close(): void {
    this.udp.close();
    this.tcp.close();
  }
}

interface ClientResult {
  pid: number;
  answer: string | null;
  sent: number;
}

/** Runs dns-client.py (asynchronously: the sensor's resolver answers on this event loop). */
async function client(args: string[], netns = false): Promise<ClientResult> {
  const { spawn } = await import('node:child_process');
  const argv = netns ? ['-n', 'python3', CLIENT, ...args, '--netns', '--serve'] : [CLIENT, ...args];
  const child = spawn(netns ? 'unshare' : 'python3', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `dns-client.py ${args.join(' ')} exited with ${code}`);
  return JSON.parse(out) as ClientResult;
}

describe('dns and network events', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let resolver: LoopbackResolver;

  before(async () => {
    s = openTestSensor({ types: ['exec', 'fork', 'exit', 'dns', 'dns_response', 'connect', 'accept', 'bind'] });
    resolver = await LoopbackResolver.start();
  });
  after(() => {
    resolver?.close();
    s?.close();
  });

  /** Waits for the kernel's events of pid to be delivered, then returns them. */
  const eventsOf = async (pid: number, type: SensorEvent['type'], min = 1): Promise<SensorEvent[]> => {
    let found: SensorEvent[] = [];
    for (let i = 0; i < 50; i++) {
      s.drain();
      found = s.of(pid).filter((e) => e.type === type);
      if (found.length >= min) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return found;
  };

  const assertQuery = (ev: SensorEvent | undefined, pid: number, l4: number): SeclEvent => {
    assert.ok(ev && ev.type === 'dns', `no dns event for pid ${pid}`);
    assert.equal(ev.dns?.question.name, 'pool.minexmr.com');
    assert.equal(ev.dns?.question.type, A);
    assert.equal(ev.dns?.question.class, 1);
    assert.equal(ev.dns?.question.count, 1);
    assert.equal(ev.dns?.id, 0x4242);
    assert.equal(ev.process.pid, pid);
    assert.equal(ev.process.comm, 'python3');
    assert.match(ev.process.file.name, /^python3/);
    assert.ok(ev.process.file.path.startsWith('/'), ev.process.file.path);
    assert.equal(ev.network?.destination.ip, '127.0.0.1');
    assert.equal(ev.network?.destination.port, 53);
    assert.equal(ev.network?.l4_protocol, l4);
    assert.equal(ev.network?.l3_protocol, 0x0800);
    return ev;
  };

  it('reports a UDP query of python3 to 127.0.0.1:53 with the name, type A, pid and executable, and its response', async () => {
    const r = await client(['query', 'pool.minexmr.com']);
    assert.equal(r.answer, '127.0.0.1');
    const [q] = await eventsOf(r.pid, 'dns');
    const ev = assertQuery(q, r.pid, IPPROTO_UDP);
    assert.equal(ev.dns?.question.length, 34);
    assert.ok((ev.network?.source.port ?? 0) > 1023);
    const [resp] = (await eventsOf(r.pid, 'dns_response')) as DnsResponseEvent[];
    assert.ok(resp, 'the response is attributed to the process that asked');
    assert.equal(resp.dns_response.question.name, 'pool.minexmr.com');
    assert.equal(resp.dns_response.rcode, 0);
    assert.deepEqual(resp.dns_response.answers.map((a) => [a.type, a.data]), [[A, '127.0.0.1']]);
    assert.equal(resp.network?.source.port, 53);
  });

  it('reports a TCP query likewise', async () => {
    const r = await client(['query', 'pool.minexmr.com', '--tcp']);
    assert.equal(r.answer, '127.0.0.1');
    const [q] = await eventsOf(r.pid, 'dns');
    const ev = assertQuery(q, r.pid, IPPROTO_TCP);
    assert.equal(ev.dns?.question.length, 34, 'without the 2-byte TCP length prefix');
    const rec = s.records.find((d) => d.type === 'dns' && d.rec.hdr.pid === r.pid);
    assert.ok(rec && rec.type === 'dns' && rec.rec.flags & DNS_F_TCP);
    const [resp] = await eventsOf(r.pid, 'dns_response');
    assert.ok(resp, 'TCP response');
  });

  it('reports the query of a process in a new network namespace (its own resolver there), UDP and TCP', async () => {
    for (const tcp of [false, true]) {
      const r = await client(['query', 'pool.minexmr.com', ...(tcp ? ['--tcp'] : [])], true);
      assert.equal(r.answer, '127.0.0.1', 'the resolver in the namespace answered');
      const [q] = await eventsOf(r.pid, 'dns');
      assertQuery(q, r.pid, tcp ? IPPROTO_TCP : IPPROTO_UDP);
      const rec = s.records.find((d) => d.type === 'dns' && d.rec.hdr.pid === r.pid);
      assert.ok(rec && rec.type === 'dns');
      const hostNetns = spawnSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' }).stdout;
      assert.ok(!hostNetns.includes(`[${rec.rec.netns}]`), 'the packet left from another network namespace');
    }
  });

  it('reports a query over IPv6 (to ::1) with IPv6 addresses', async () => {
    const py = [
      'import socket, os, json',
      'import importlib.util as u',
      `spec = u.spec_from_file_location("c", ${JSON.stringify(CLIENT)}); c = u.module_from_spec(spec); spec.loader.exec_module(c)`,
      's = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(c.query("pool.minexmr.com"), ("::1", 53))',
      'print(json.dumps({"pid": os.getpid()}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { pid } = JSON.parse(r.stdout) as { pid: number };
    const [q] = (await eventsOf(pid, 'dns')) as SeclEvent[];
    assert.equal(q?.dns?.question.name, 'pool.minexmr.com');
    assert.equal(q?.network?.l3_protocol, 0x86dd);
    assert.deepEqual(q?.network?.destination, { ip: '::1', port: 53 });
    assert.equal(q?.network?.source.ip, '::1');
  });

  it('reports neither the sensor\'s own query nor its response (not as unattributed either)', async () => {
    const before = s.kernel.stats().drops.net_unattributed;
    const sock = createSocket('udp4');
    const answered = new Promise<Buffer>((resolve) => sock.once('message', resolve));
    sock.send(encodeDnsQuery('self.vigil.test'), 53, '127.0.0.1');
    const resp = await answered;
    sock.close();
    assert.ok(parseDnsMessage(resp).ok);
    await new Promise((r) => setTimeout(r, 50));
    s.drain();
    // (another run of this test on the host would be another process, and reported)
    const ours = s.events.filter((e) => e.process.pid === process.pid || e.process.pid === 0);
    const named = ours.filter((e) => (e as SeclEvent).dns?.question.name === 'self.vigil.test' || (e as DnsResponseEvent).dns_response?.question.name === 'self.vigil.test');
    assert.deepEqual(named, []);
    assert.equal(s.kernel.stats().drops.net_unattributed, before);
  });

  it('sends a query no process can be proven for (spliced from a pipe) flagged unattributed, and counts it', async () => {
    const before = s.kernel.stats().drops.net_unattributed;
    const r = runOps(['splicedns', 'spliced.vigil.test']);
    assert.equal(r.steps[0]?.ret, 36, JSON.stringify(r.steps));
    let ev: SeclEvent | undefined;
    for (let i = 0; i < 50 && !ev; i++) {
      s.drain();
      ev = s.events.find((e): e is SeclEvent => e.type === 'dns' && (e as SeclEvent).dns?.question.name === 'spliced.vigil.test');
      if (!ev) await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(ev, 'the query is reported');
    assert.equal(ev.process.pid, 0, 'with no process rather than a guessed one');
    const rec = s.records.find((d) => d.type === 'dns' && d.payload.includes(Buffer.from('spliced')));
    assert.ok(rec && rec.type === 'dns' && rec.rec.flags & DNS_F_UNATTRIBUTED);
    assert.ok(s.kernel.stats().drops.net_unattributed > before);
  });

  it('skips malformed and fuzzed packets and counts them by cause, without losing the next query', async () => {
    const before = structuredClone(s.pipeline.stats().enrich.dns);
    const r = await client(['malformed', '7', '300']);
    const after = async (): Promise<{ total: number; byCause: Record<string, number> }> => {
      let total = 0;
      let byCause: Record<string, number> = {};
      for (let i = 0; i < 50; i++) {
        s.drain();
        const d = s.pipeline.stats().enrich.dns;
        byCause = Object.fromEntries(Object.entries(d.malformed).map(([k, v]) => [k, v - (before.malformed as Record<string, number>)[k]!]));
        const parsed = s.of(r.pid).filter((e) => e.type === 'dns').length;
        total = Object.values(byCause).reduce((a, b) => a + b, 0) + parsed;
        if (total >= r.sent) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      return { total, byCause };
    };
    const { total, byCause } = await after();
    // at least: the counters are the host's, and other processes may send DNS meanwhile
    assert.ok(total >= r.sent, `every packet either parsed or counted: ${total} of ${r.sent}`);
    for (const cause of ['truncated', 'no-question', 'too-many-records', 'pointer-loop', 'bad-label-type', 'name-too-long']) {
      assert.ok((byCause[cause] ?? 0) >= 1, `${cause}: ${JSON.stringify(byCause)}`);
    }
    const next = await client(['query', 'pool.minexmr.com']);
    assertQuery((await eventsOf(next.pid, 'dns'))[0], next.pid, IPPROTO_UDP);
  });

  it('gives a connect to 127.0.0.1 the hostname whose answer was 127.0.0.1', async () => {
    const listener = createServer((c) => c.end());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    const port = (listener.address() as { port: number }).port;
    try {
      const r = await client(['query', 'pool.minexmr.com', '--connect', String(port)]);
      assert.equal(r.answer, '127.0.0.1');
      const connects = (await eventsOf(r.pid, 'connect')) as SeclEvent[];
      const c = connects.find((e) => e.connect?.addr.port === port);
      assert.ok(c?.connect, `no connect to ${port}: ${JSON.stringify(connects.map((e) => e.connect))}`);
      assert.equal(c.connect.addr.ip, '127.0.0.1');
      assert.equal(c.connect.addr.family, 2);
      assert.equal(c.connect.addr.hostname, 'pool.minexmr.com');
      assert.equal(c.connect.protocol, IPPROTO_TCP);
      // python connects with a timeout: non-blocking, so EINPROGRESS or at once
      assert.ok(c.connect.retval === 0 || c.connect.retval === -115, String(c.connect.retval));
      // the listener's side: the accept of this node process is its own (not reported);
      // the DNS query's socket was bound implicitly, so no bind either
      assert.equal(s.of(r.pid).filter((e) => e.type === 'bind').length, 0);
    } finally {
      listener.close();
    }
  });

  it('reports bind and accept of another process with addresses, ports and protocol', async () => {
    const py = [
      'import socket, os, json',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      's.bind(("127.0.0.1", 0)); s.listen(1); port = s.getsockname()[1]',
      'c = socket.create_connection(("127.0.0.1", port)); a, peer = s.accept()',
      'print(json.dumps({"pid": os.getpid(), "port": port, "peer": peer[1]}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { pid: number; port: number; peer: number };
    const [bind] = (await eventsOf(out.pid, 'bind')) as SeclEvent[];
    assert.equal(bind?.bind?.addr.ip, '127.0.0.1');
    assert.equal(bind?.bind?.addr.port, 0, 'the port asked for');
    assert.equal(bind?.bind?.protocol, IPPROTO_TCP);
    assert.equal(bind?.bind?.retval, 0);
    const [accept] = (await eventsOf(out.pid, 'accept')) as SeclEvent[];
    assert.equal(accept?.accept?.addr.ip, '127.0.0.1');
    assert.equal(accept?.accept?.addr.port, out.peer, 'the peer');
    assert.ok((accept?.accept?.retval ?? -1) > 2, 'the new fd');
    const [connect] = (await eventsOf(out.pid, 'connect')) as SeclEvent[];
    assert.equal(connect?.connect?.addr.port, out.port);
  });
});
