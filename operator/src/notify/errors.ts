// Delivery failures with a closed set of codes. `retryable` is the queue's only question:
// 5xx, timeouts, rate limits and connection trouble are tried again with backoff; a 4xx
// (or an SMTP 5xx) means the message or the configuration is wrong and never will work.
export const DELIVERY_ERROR_CODES = [
  'http_client_error', 'http_server_error', 'rate_limited', 'timeout', 'network',
  'smtp_rejected', 'smtp_unavailable', 'auth_failed', 'secret_missing', 'invalid_config', 'invalid_message', 'queue_full',
  'cancelled',
] as const;
export type DeliveryErrorCode = typeof DELIVERY_ERROR_CODES[number];

const RETRYABLE: ReadonlySet<DeliveryErrorCode> = new Set([
  'http_server_error', 'rate_limited', 'timeout', 'network', 'smtp_unavailable', 'secret_missing',
]);

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly retryable: boolean;
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    readonly extra: { readonly status?: number; readonly retryAfterMs?: number } = {},
  ) {
    super(message);
    this.retryable = RETRYABLE.has(code);
  }
}

/** Any thrown value as a DeliveryError (a bug in building a message is permanent). */
export function asDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  return new DeliveryError('invalid_message', err instanceof Error ? err.message : String(err));
}
