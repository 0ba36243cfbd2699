import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs to stderr (stdout stays free for data), one child logger per component. */
export function createLogger(level = process.env.VIGIL_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'vigil-operator' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
