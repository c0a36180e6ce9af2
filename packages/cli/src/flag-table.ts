import type { DurationUnit } from '@peergroup/service';
import { UsageError, stringOption, type CommandContext, type OptionSpec } from './command.ts';

/**
 * A service's flags as one table: flag → [dotted config key, kind, help]. The same table yields the --help options
 * and the config overrides, so a flag cannot exist without its config key. Numbers reach the zod schema as numbers,
 * so range errors name the key. A duration takes the config syntax (`30s`, `5m`); a plain number stays a number so
 * it means what it means in the file (the key's historical unit).
 */
export type FlagKind = 'string' | 'int' | 'number' | `duration-${DurationUnit}`;
export type FlagTable = Record<string, [key: string, kind: FlagKind, spec: Omit<OptionSpec, 'type' | 'configKey'>]>;

export function flagTableOptions(table: FlagTable): Record<string, OptionSpec> {
  return Object.fromEntries(
    Object.entries(table).map(([flag, [key, kind, spec]]) => {
      const unit = kind.startsWith('duration-') ? (kind.slice('duration-'.length) as DurationUnit) : undefined;
      return [
        flag,
        { type: 'string', configKey: key, ...(unit ? { arg: 'DURATION', durationUnit: unit } : {}), ...spec } satisfies OptionSpec,
      ];
    }),
  );
}

/** Given flags → `overrides[key]`; absent flags leave the config file's values alone. */
export function flagTableOverrides(
  ctx: CommandContext,
  table: FlagTable,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [flag, [key, kind]] of Object.entries(table)) {
    const v = stringOption(ctx, flag);
    if (v === undefined) continue;
    if (kind === 'int' && !/^\d+$/.test(v)) throw new UsageError(`--${flag} must be a whole number, got "${v}"`);
    if (kind === 'number' && !/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${flag} must be a number, got "${v}"`);
    overrides[key] = kind === 'string' || (kind.startsWith('duration-') && !/^\d+(\.\d+)?$/.test(v)) ? v : Number(v);
  }
  return overrides;
}
