// Logs: pino, JSON, to stderr (stdout carries only data in the command-line modes).
import { pino, type Logger } from 'pino';

export type { Logger };

export const rootLogger: Logger = pino(
  { name: 'vigil-sensor', level: process.env.VIGIL_LOG_LEVEL ?? 'info' },
  pino.destination({ fd: 2, sync: true }),
);

export function logger(component: string): Logger {
  return rootLogger.child({ component });
}
