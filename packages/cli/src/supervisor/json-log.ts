const levels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LevelName = keyof typeof levels;

export type SupervisorLog = (level: Exclude<LevelName, 'silent'>, msg: string, fields?: Record<string, unknown>) => void;

/**
 * The supervisor's log: one JSON object per line on stderr in pino's shape (level number, time, name, msg), like
 * every service's, so one collector reads both. Written by hand rather than with pino because the supervisor must stay
 * small: it loads no logging, metrics or service library at all.
 */
export function supervisorLog(level: string, write: (line: string) => void = (l) => void process.stderr.write(l)): SupervisorLog {
  const threshold = levels[level as LevelName] ?? levels.info;
  return (lvl, msg, fields = {}) => {
    if (levels[lvl] < threshold) return;
    write(`${JSON.stringify({ level: levels[lvl], time: Date.now(), name: 'peergroup-serve', ...fields, msg })}\n`);
  };
}
