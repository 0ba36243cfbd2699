// Local receivers that speak each channel's side of the wire, for the unit and e2e tests:
// an HTTP receiver (webhook, Slack incoming webhook, PagerDuty Events API) whose answers a
// test scripts, and a real SMTP server (smtp-server) with STARTTLS and AUTH on a
// certificate made by the openssl CLI. Test-only: production code never imports this.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Signal } from '../api/index.ts';

export interface ReceivedRequest {
  readonly at: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
  /** The status this receiver answered. */
  readonly status: number;
}

export interface HttpReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Requests answered 2xx. */
  readonly accepted: ReceivedRequest[];
  /** Answers to give, in order; then `fallback`. */
  script(statuses: readonly number[]): void;
  waitFor(n: number, timeoutMs?: number, pred?: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/**
 * An HTTP receiver. `answer` gives the body of a 2xx (Slack answers `ok`, PagerDuty a JSON
 * status with the dedup key); other statuses get a short error body.
 */
export async function startHttpReceiver(opts: { answer?: (json: unknown) => { status?: number; body: string }; fallback?: number } = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: number[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const scripted = queue.shift();
      const ok = opts.answer?.(json) ?? { body: 'ok' };
      const status = scripted ?? ok.status ?? opts.fallback ?? 200;
      requests.push({ at: Date.now(), path: req.url ?? '/', headers: req.headers, body, json, status });
      res.writeHead(status, { 'content-type': status < 300 && ok.body.startsWith('{') ? 'application/json' : 'text/plain' });
      res.end(status < 300 ? ok.body : status === 400 ? 'invalid_payload' : 'internal_error');
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    get accepted() {
      return requests.filter((r) => r.status < 300);
    },
    script(statuses) {
      queue.push(...statuses);
    },
    waitFor(n, timeoutMs = 30_000, pred = (r) => r.status < 300) {
      return waitUntil(() => {
        const got = requests.filter(pred);
        return got.length >= n ? got : undefined;
      }, waiters, timeoutMs, `${n} requests`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function waitUntil<T>(check: () => T | undefined, waiters: Set<() => void>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      waiters.delete(poke);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    function poke(): void {
      const got = check();
      if (got === undefined) return;
      clearTimeout(timer);
      waiters.delete(poke);
      resolve(got);
    }
    waiters.add(poke);
  });
}

/** A self-signed certificate for 127.0.0.1/localhost, made with the openssl CLI. */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-notify-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReceivedMail {
  readonly at: number;
  readonly from: string;
  readonly to: string[];
  /** The session had switched to TLS (STARTTLS) before the message. */
  readonly secure: boolean;
  readonly user?: string;
  readonly raw: string;
  readonly parsed: ParsedMail;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly mails: ReceivedMail[];
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on loopback: STARTTLS offered, AUTH PLAIN/LOGIN required (only over TLS). */
export async function startSmtpReceiver(tls: { key: string; cert: string }, auth: { user: string; pass: string }): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    secure: false,
    key: tls.key,
    cert: tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    logger: false,
    onAuth(a, _session, cb) {
      if (a.username === auth.user && a.password === auth.pass) cb(null, { user: a.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((parsed) => {
          mails.push({
            at: Date.now(), raw, parsed, secure: session.secure, user: session.user as string | undefined,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          for (const w of waiters) w();
          cb();
        }, (err: Error) => cb(err));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    mails,
    waitFor: (n, timeoutMs = 30_000) => waitUntil(() => (mails.length >= n ? mails : undefined), waiters, timeoutMs, `${n} mails`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SignalFixture {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly ruleId?: string;
  readonly severity?: Signal['spec']['rule']['severity'];
  readonly tags?: Record<string, string>;
  readonly pod?: string | null;
  readonly path?: string;
  readonly args?: string[];
  readonly killed?: boolean;
  readonly state?: NonNullable<Signal['status']>['state'];
  readonly count?: number;
  readonly created?: string;
}

/** A Signal as the sensor writes one (the same shape for unit tests and for kubectl). */
export function makeSignal(f: SignalFixture = {}): Signal {
  const ns = f.namespace ?? 'shop';
  const now = f.created ?? new Date().toISOString();
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'Signal',
    metadata: { name: f.name ?? 'shell-in-container-7f3a', namespace: ns, ...(f.uid ? { uid: f.uid } : {}), creationTimestamp: now },
    spec: {
      rule: { id: f.ruleId ?? 'shell_in_container', version: '1', severity: f.severity ?? 'high', tags: f.tags ?? { technique: 'T1059.004', category: 'process' } },
      node: 'worker-1',
      ...(f.pod === null ? {} : { pod: { namespace: ns, name: f.pod ?? 'web-7d9f8b6c4-x2x9z', uid: 'p-1', labels: { app: 'web', 'pod-template-hash': '7d9f8b6c4' } } }),
      container: { id: '3f2a9c0d1e2b3f2a9c0d1e2b', image: 'registry.example/web:1.4', runtime: 'containerd' },
      process: {
        pid: 4242, ppid: 4200, path: f.path ?? '/usr/bin/bash', args: f.args ?? ['bash', '-i'], user: 'root', uid: 0,
        ancestors: [{ pid: 4200, path: '/usr/bin/containerd-shim' }, { pid: 1, path: '/sbin/init' }],
      },
      event: { type: 'exec', fields: { 'exec.file.path': f.path ?? '/usr/bin/bash' } },
      ...(f.killed ? { action: { kill: { status: 'performed' as const, signal: 'SIGKILL', at: now } } } : {}),
      firstSeen: now,
    },
    status: { state: f.state ?? 'open', count: f.count ?? 1, lastSeen: now },
  };
}
