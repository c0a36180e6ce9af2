import pino from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stderr, so command output on stdout stays machine-readable. */
export function createLogger(name: string, level: string = process.env.PEERGROUP_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: {} }, pino.destination(2));
}

/** A logger that drops everything (tests and library use without logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
