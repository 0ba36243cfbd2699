// The operator's HTTP endpoints: /metrics (Prometheus text), /healthz (the process and
// its event loop answer), /readyz (caller-defined: leading with synced caches, or a
// standby that can reach the apiserver).
import { createServer, type Server } from 'node:http';
import type { Registry } from './metrics.ts';

export interface Probe {
  (): { ok: boolean; detail: string };
}

export async function serveHttp(addr: string, registry: Registry, ready: Probe): Promise<{ server: Server; port: number }> {
  const m = /^(.*):(\d+)$/.exec(addr);
  const host = m?.[1] || '0.0.0.0';
  const port = Number(m?.[2] ?? addr);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(registry.render());
    } else if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = ready();
      res.writeHead(r.ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${r.detail}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : port };
}
