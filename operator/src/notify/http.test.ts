import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DeliveryError } from './errors.ts';
import { postJson } from './http.ts';
import { selfSignedCert } from './testing.ts';

test('https endpoints with a private CA: trusted when given, refused otherwise; Retry-After read', async () => {
  const tls = selfSignedCert();
  const answers = [200, 429, 302];
  const bodies: string[] = [];
  const srv = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      bodies.push(b);
      const status = answers.shift() ?? 500;
      res.writeHead(status, status === 429 ? { 'retry-after': '7' } : status === 302 ? { location: 'http://elsewhere/' } : {}).end('ok');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/secret-token-in-path`;
  try {
    assert.deepEqual(await postJson(url, '{"a":1}', {}, 'webhook', { timeoutMs: 2000, ca: tls.cert }), { status: 200, body: 'ok' });
    assert.deepEqual(bodies, ['{"a":1}']);
    await assert.rejects(postJson(url, '{}', {}, 'webhook', { timeoutMs: 2000, ca: tls.cert }),
      (e: DeliveryError) => e.code === 'rate_limited' && e.extra.retryAfterMs === 7000);
    // Redirects are not followed (the target would get the payload unsigned by intent).
    await assert.rejects(postJson(url, '{}', {}, 'webhook', { timeoutMs: 2000, ca: tls.cert }),
      (e: DeliveryError) => e.code === 'http_client_error' && e.extra.status === 302);
    await assert.rejects(postJson(url, '{}', {}, 'slack', { timeoutMs: 2000 }),
      (e: DeliveryError) => e.code === 'network' && !e.message.includes('secret-token'));
    await assert.rejects(postJson('ftp://x/y', '{}', {}, 'webhook', { timeoutMs: 2000 }), (e: DeliveryError) => e.code === 'invalid_config');
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
});
