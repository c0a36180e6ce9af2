import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** A configuration problem, always naming the offending key (or the file). Exit code 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads a YAML (or JSON, a subset of YAML) config file into a plain object. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${path}: the top level must be a mapping`);
  return doc as Record<string, unknown>;
}

/** Sets `value` at a dotted path, creating intermediate objects. Undefined values are skipped so absent flags keep file values. */
export function setDotted(target: Record<string, unknown>, dotted: string, value: unknown): void {
  if (value === undefined) return;
  const keys = dotted.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Validates `raw` and returns the problems as `  dotted.key: message` lines instead of throwing. */
export function checkConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  prefix = '',
): { ok: true; data: z.output<S> } | { ok: false; problems: string[] } {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, data: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    const at = (extra: string[]) => [prefix, ...issue.path.map(String), ...extra].filter(Boolean).join('.') || '(top level)';
    // Name each unknown key itself, so a typo is found by searching the file for the printed key.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `  ${at([k])}: unknown key`);
    return [`  ${at([])}: ${issue.message}`];
  });
  return { ok: false, problems };
}

/**
 * Validates `raw` (file section merged with flag overrides) once, at start-up.
 * `prefix` is the section's dotted position in the file so messages name the key as the operator wrote it.
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string, prefix = ''): z.output<S> {
  const checked = checkConfig(schema, raw, prefix);
  if (checked.ok) return checked.data;
  throw new ConfigError(`${source}: invalid configuration\n${checked.problems.join('\n')}`);
}

/** File section (optional) + flag overrides at dotted keys → validated config. */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  opts: { file?: string | undefined; section?: string; overrides?: Record<string, unknown> },
): z.output<S> {
  let raw: Record<string, unknown> = {};
  if (opts.file) {
    const doc = readConfigFile(opts.file);
    if (opts.section) {
      const sec = doc[opts.section];
      if (sec !== undefined && (typeof sec !== 'object' || sec === null || Array.isArray(sec))) {
        throw new ConfigError(`${opts.file}: ${opts.section}: must be a mapping`);
      }
      raw = structuredClone((sec as Record<string, unknown> | undefined) ?? {});
    } else {
      raw = doc;
    }
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) setDotted(raw, key, value);
  return validateConfig(schema, raw, opts.file ?? 'command line', opts.file ? (opts.section ?? '') : '');
}
