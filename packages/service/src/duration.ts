import * as z from 'zod';

/**
 * One duration syntax for every config key: `250ms`, `30s`, `5m`, `12h`, `3d`, or a sum such as `1h30m`. A plain
 * number is read in the unit the key documents (`unit`), so values written before this syntax keep their meaning.
 * The parsed value is always milliseconds.
 */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Milliseconds of `text` (`"1h30m"`), or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(PART)) ms += Number(n) * UNIT_MS[unit as DurationUnit];
  return Math.round(ms);
}

/** The shortest exact spelling of `ms` in the syntax above (`300000` → `5m`), for help texts and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * UNIT_MS[unit];
    }
  }
  return out;
}

export interface DurationOptions {
  /** Unit of a plain number (the key's historical unit). */
  unit: DurationUnit;
  min?: number;
  max?: number;
}

/** A zod schema for a duration key: accepts the syntax above or a plain number in `unit`; yields milliseconds. */
export function duration({ unit, min = 0, max = Number.MAX_SAFE_INTEGER }: DurationOptions) {
  const range = `between ${formatDuration(min)} and ${formatDuration(max)}`;
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? Math.round(value * UNIT_MS[unit]) : parseDuration(value);
    if (ms === undefined || !Number.isFinite(ms) || (typeof value === 'number' && value < 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 30s, 5m, 12h or 3d (a plain number means ${unit}), got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be ${range}, got ${typeof value === 'number' ? `${value}${unit}` : value}` });
      return z.NEVER;
    }
    return ms;
  });
}
