import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'nudgelab' } });
}

/** What a part that only reports needs of a logger; a thread's sink forwards to the service's logger. */
export interface LogSink {
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}
