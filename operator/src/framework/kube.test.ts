// The client's failure paths, against a local HTTP server that misbehaves on purpose (the
// real apiserver cannot be made to go silent mid-stream on demand). Plain HTTP on
// loopback: client-node accepts it only with skipTLSVerify.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './kube.ts';
import { KubeApiError } from './errors.ts';

async function serve(handler: (res: ServerResponse, path: string) => void): Promise<{ client: KubeClient; server: Server }> {
  const server = createServer((req, res) => handler(res, req.url ?? ''));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  after(() => { server.closeAllConnections(); server.close(); });
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${(server.address() as { port: number }).port}`, skipTLSVerify: true }, { name: 'u' });
  return { client: new KubeClient(kc), server };
}

function close(s: { client: KubeClient; server: Server }): void {
  s.client.close();
  s.server.closeAllConnections();
  s.server.close();
}

test('a watch stream that goes silent is cut after the idle timeout', async () => {
  const s = await serve((res) => { res.writeHead(200); res.write('{"type":"ADDED","object":{}}\n'); });
  let lines = 0;
  const t0 = Date.now();
  await assert.rejects(s.client.stream('/w', {}, () => { lines++; }, { idleMs: 300 }), (e: unknown) => e instanceof KubeApiError);
  assert.equal(lines, 1);
  assert.ok(Date.now() - t0 < 3000);
  close(s);
});

test('a handler that refuses a line ends the stream with its error instead of crashing', async () => {
  const s = await serve((res) => { res.writeHead(200); res.write('{"type":"ERROR","object":{}}\n'); });
  await assert.rejects(s.client.stream('/w', {}, () => { throw new Error('refused'); }, { idleMs: 5000 }), /refused/);
  close(s);
});

test('apiserver statuses map to closed error codes with the Status message', async () => {
  const s = await serve((res, path) => {
    const code = Number(path.split('/').find((p) => /^\d+$/.test(p)));
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'Status', message: `said ${code}`, reason: 'Because' }));
  });
  const cases: [number, string, boolean][] = [[404, 'not-found', false], [409, 'conflict', true], [410, 'gone', false],
    [403, 'forbidden', false], [422, 'invalid', false], [429, 'too-many-requests', true], [503, 'server', true]];
  for (const [status, code, temporary] of cases) {
    await assert.rejects(s.client.request('GET', `/${status}`), (e: unknown) => e instanceof KubeApiError && e.code === code
      && e.temporary === temporary && e.message.includes(`said ${status}`) && e.reason === 'Because');
  }
  assert.equal(await s.client.find({ group: '', version: 'v1', plural: '404', kind: 'X', namespaced: false }, 'x'), undefined);
  close(s);
});

test('a refused connection is a temporary network error', async () => {
  const s = await serve(() => {});
  const port = (s.server.address() as { port: number }).port;
  close(s);
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }, { name: 'u' });
  const c = new KubeClient(kc);
  await assert.rejects(c.request('GET', '/api'), (e: unknown) => e instanceof KubeApiError && e.code === 'network' && e.temporary);
  c.close();
});
