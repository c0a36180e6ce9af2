import pino from 'pino';

export type Logger = pino.Logger;

/** json: one pino object per line, for daemons and log collectors. human: short sentences for a person at a terminal. */
export type LogFormat = 'json' | 'human';

export interface LoggerOptions {
  format?: LogFormat;
  /** Where human lines go (default stderr); JSON always goes to fd 2, so stdout stays the command's output. */
  stream?: { write(text: string): unknown };
}

/** JSON lines on stderr by default, so command output on stdout stays machine-readable. */
export function createLogger(name: string, level: string = process.env.PEERGROUP_LOG_LEVEL ?? 'info', opts: LoggerOptions = {}): Logger {
  if (opts.format === 'human') {
    const out = opts.stream ?? process.stderr;
    return pino({ name, level, base: {} }, { write: (line: string) => void out.write(humanLogLine(line)) });
  }
  return pino({ name, level, base: {} }, opts.stream ? (opts.stream as pino.DestinationStream) : pino.destination(2));
}

/**
 * Daemons always log JSON. A command someone types logs sentences when stderr is a terminal, unless its --json
 * asks for machine output; PEERGROUP_LOG_FORMAT=json|human overrides the guess for scripts and for tests.
 */
export function chooseLogFormat(opts: {
  kind: 'daemon' | 'terminal';
  isTTY: boolean;
  json?: boolean;
  env?: string | undefined;
}): LogFormat {
  if (opts.json) return 'json';
  if (opts.env === 'json' || opts.env === 'human') return opts.env;
  return opts.kind === 'terminal' && opts.isTTY ? 'human' : 'json';
}

const LEVEL_WORDS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
// Fields every line carries or that only make sense to a log collector.
const NOT_SHOWN = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname', 'file', 'line', 'svc']);

/** One pino JSON line → `warning: map.yml:2: map entry skipped: … (domain example.org)`. */
export function humanLogLine(jsonLine: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : jsonLine + '\n';
  }
  const level = LEVEL_WORDS[rec.level as number] ?? String(rec.level);
  const where = typeof rec.file === 'string' ? `${rec.file}${rec.line !== undefined ? `:${String(rec.line)}` : ''}: ` : '';
  const extra: string[] = [];
  for (const [key, value] of Object.entries(rec)) {
    if (NOT_SHOWN.has(key) || value === undefined || value === null) continue;
    const shown =
      typeof value === 'object' && 'message' in value
        ? String((value as { message: unknown }).message)
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    extra.push(`${key} ${shown}`);
  }
  return `${level}: ${where}${String(rec.msg ?? '')}${extra.length ? ` (${extra.join(', ')})` : ''}\n`;
}

/** A logger that drops everything (tests and library use without logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
