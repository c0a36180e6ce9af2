import type { DurationUnit } from '@peergroup/service';
import type { Writable } from 'node:stream';

/** One option of a command: a flag on the command line, and (when `configKey` is set) a key in the config file. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Repeatable flag (`--domain a --domain b`). */
  multiple?: boolean;
  short?: string;
  /** Dotted config-file key this flag overrides, shown in --help. */
  configKey?: string;
  /** Shown in --help only; defaults live in the zod schemas. */
  defaultText?: string;
  /** Placeholder in --help, e.g. FILE or IP:PORT. */
  arg?: string;
  /** Accepted but left out of --help (the command's details say which others it takes). */
  hidden?: boolean;
  /** A duration (`30s`, `5m`, `1h30m`): the unit of a plain number for its key, said in --help. */
  durationUnit?: DurationUnit;
}

export interface CommandContext {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: Writable;
  stderr: Writable;
  /** Resolves when the user asks the process to stop (SIGINT/SIGTERM); long-running services await it. */
  stopSignal: AbortSignal;
}

export interface Command {
  /** Words after `peergroup`, e.g. ['onionmx', 'route']. */
  path: string[];
  summary: string;
  /** Synopsis of the positionals, e.g. '<address|domain>'. */
  usage?: string;
  /** Longer text printed under the synopsis in --help. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Thrown for bad usage; main prints the message and the command's synopsis and exits 64 (EX_USAGE). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new UsageError(`--${name} takes a value`);
}

export function listOption(ctx: CommandContext, name: string): string[] | undefined {
  const v = ctx.values[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

export function flagOption(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/**
 * A number when the flag looks like one; otherwise its text, so the zod schema refuses it naming the config key. For a
 * duration key this is right too: `2m` stays text for the duration syntax, a plain number keeps the key's unit.
 */
export function numberOption(ctx: CommandContext, name: string): number | string | undefined {
  const v = stringOption(ctx, name);
  return v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}
