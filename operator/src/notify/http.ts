// One JSON POST with a deadline, classified into success or a DeliveryError. Uses
// node:http(s) rather than fetch so an operator-wide CA bundle can be trusted. URLs and
// headers are never put into errors: a Slack webhook URL is itself the secret.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError } from './errors.ts';

export interface HttpOptions {
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for https endpoints. */
  readonly ca?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

const MAX_BODY = 64 * 1024;

export function postJson(url: string, body: string, headers: Readonly<Record<string, string>>, what: string, opts: HttpOptions): Promise<HttpResponse> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(new DeliveryError('invalid_config', `${what}: endpoint is not a URL`));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new DeliveryError('invalid_config', `${what}: endpoint is not http(s)`));
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'vigil-notify/1', ...headers },
      timeout: opts.timeoutMs,
      ...(u.protocol === 'https:' && opts.ca ? { ca: opts.ca } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      res.on('error', (e) => reject(new DeliveryError('network', `${what}: ${e.message}`)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY);
        if (status >= 200 && status < 300) return resolve({ status, body: text });
        reject(classify(status, text, res.headers['retry-after'], what));
      });
    });
    req.on('timeout', () => req.destroy(new DeliveryError('timeout', `${what}: no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof DeliveryError ? e : new DeliveryError('network', `${what}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end(body);
  });
}

function classify(status: number, text: string, retryAfter: string | string[] | undefined, what: string): DeliveryError {
  const detail = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const msg = `${what}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 429) {
    const secs = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    return new DeliveryError('rate_limited', msg, { status, ...(Number.isFinite(secs) && secs >= 0 ? { retryAfterMs: secs * 1000 } : {}) });
  }
  if (status === 408) return new DeliveryError('timeout', msg, { status });
  if (status >= 500) return new DeliveryError('http_server_error', msg, { status });
  return new DeliveryError('http_client_error', msg, { status });
}
