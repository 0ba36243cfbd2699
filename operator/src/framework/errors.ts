// Handler outcomes, kopf-style: a handler says "try again later" (TemporaryError) or "this
// will never work" (PermanentError). Anything else thrown is treated as temporary, since
// an unknown failure (a dropped connection, a 5xx) usually goes away.

export class TemporaryError extends Error {
  override readonly name = 'TemporaryError';
  constructor(message: string, readonly delayMs?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, readonly reason = 'Failed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** What the apiserver answered, as a closed set of codes callers branch on. */
export type KubeErrorCode = 'not-found' | 'conflict' | 'gone' | 'forbidden' | 'unauthorized' | 'invalid'
  | 'too-many-requests' | 'server' | 'network' | 'timeout' | 'other';

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: KubeErrorCode,
    readonly status: number,
    message: string,
    readonly reason?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** Worth retrying as is: the same request may succeed later. */
  get temporary(): boolean {
    return ['conflict', 'too-many-requests', 'server', 'network', 'timeout'].includes(this.code);
  }

  static fromStatus(status: number, body: string, what: string): KubeApiError {
    let message = body.slice(0, 2000);
    let reason: string | undefined;
    try {
      const parsed = JSON.parse(body) as { message?: string; reason?: string };
      message = parsed.message ?? message;
      reason = parsed.reason;
    } catch { /* not a Status object */ }
    const code: KubeErrorCode = status === 404 ? 'not-found' : status === 409 ? 'conflict' : status === 410 ? 'gone'
      : status === 403 ? 'forbidden' : status === 401 ? 'unauthorized' : status === 422 || status === 400 ? 'invalid'
        : status === 429 ? 'too-many-requests' : status === 504 ? 'timeout' : status >= 500 ? 'server' : 'other';
    return new KubeApiError(code, status, `${what}: ${status} ${message}`, reason);
  }
}

export function isKubeError(err: unknown, code: KubeErrorCode): boolean {
  return err instanceof KubeApiError && err.code === code;
}

/** How the work queue treats a thrown value. */
export function classify(err: unknown): { retry: boolean; delayMs?: number; reason: string } {
  if (err instanceof PermanentError) return { retry: false, reason: err.reason };
  if (err instanceof TemporaryError) return { retry: true, delayMs: err.delayMs, reason: 'Temporary' };
  if (err instanceof KubeApiError) {
    // 403/422 will not fix themselves by retrying the same request soon, but RBAC or a CRD
    // may be updated; retry slowly rather than give up on the object forever.
    return err.temporary ? { retry: true, reason: err.code } : { retry: true, delayMs: 30_000, reason: err.code };
  }
  return { retry: true, reason: 'Error' };
}
