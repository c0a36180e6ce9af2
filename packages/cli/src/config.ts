import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import type { OptionSpec } from './command.ts';
import { olderNamesOf } from '@peergroup/service';

/**
 * JSON — what `peergroup serve` hands its services — through JSON.parse, anything else through yaml, loaded only
 * then: a service process under serve never loads the YAML parser (a few MB of every process's idle memory).
 */
function parseConfigText(text: string): unknown {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML flow mappings start with `{` too; yaml parses them and names the error of a broken one.
    }
  }
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text);
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
    doc = parseConfigText(text);
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

/** Removes the key at a dotted path, if there is one. */
export function deleteDotted(target: Record<string, unknown>, dotted: string): void {
  const keys = dotted.split('.');
  let node: unknown = target;
  for (const key of keys.slice(0, -1)) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  if (typeof node === 'object' && node !== null) delete (node as Record<string, unknown>)[keys[keys.length - 1]!];
}

/**
 * One problem in a configuration. `key` is the dotted key as the operator wrote it (section prefix included), `path`
 * the same key relative to the command's own settings, which is what a flag's configKey names.
 */
export interface ConfigProblem {
  key: string;
  path: string;
  message: string;
  /** The key is missing: said as "--flag FORM is required" when a flag sets it. */
  required?: boolean;
}

/** A configuration problem, always naming the offending key (or the file). Exit code 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly source: string | undefined;
  readonly problems: ConfigProblem[];

  constructor(message: string, detail?: { source: string; problems: ConfigProblem[] }) {
    super(detail ? renderProblems(detail.source, detail.problems) : message);
    this.source = detail?.source;
    this.problems = detail?.problems ?? [];
  }

  /** The message for a person; with the command's options each problem also names the flag that sets its key. */
  describe(options?: Record<string, OptionSpec>): string {
    return this.source === undefined ? this.message : renderProblems(this.source, this.problems, options);
  }
}

function renderProblems(source: string, problems: ConfigProblem[], options?: Record<string, OptionSpec>): string {
  return `${source}: invalid configuration\n${problems.map((p) => formatProblem(p, options)).join('\n')}`;
}

/** The flag (with its value form) whose configKey is `path` or the nearest key above it; array indexes match `[]`. */
function flagFor(options: Record<string, OptionSpec> | undefined, ...paths: string[]): string | undefined {
  if (!options) return undefined;
  const byKey = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    for (const key of spec.configKey?.split(/,\s*/) ?? []) {
      if (!byKey.has(key)) byKey.set(key, `--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`);
    }
  }
  for (const path of paths) {
    const parts = path.split('.').filter(Boolean);
    for (let n = parts.length; n > 0; n--) {
      const key = parts
        .slice(0, n)
        .join('.')
        .replace(/\.(\d+)(?=\.|$)/g, '[]');
      const flag = byKey.get(key) ?? byKey.get(key.replace(/\[\]$/, ''));
      if (flag) return flag;
    }
  }
  return undefined;
}

/** `  key: message`, naming the flag and its expected form when the command has a flag for the key. */
export function formatProblem(p: ConfigProblem, options?: Record<string, OptionSpec>): string {
  const flag = flagFor(options, p.path, p.key);
  if (p.required) return flag ? `  ${flag} is required (config key ${p.key})` : `  ${p.key}: required`;
  return flag ? `  ${p.key}: ${p.message} (${flag})` : `  ${p.key}: ${p.message}`;
}

const KINDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

function shown(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input);
  return String(input);
}

function oneOf(values: readonly unknown[]): string {
  const v = values.map((x) => JSON.stringify(x));
  return v.length > 1 ? `${v.slice(0, -1).join(', ')} or ${v[v.length - 1]}` : (v[0] ?? 'nothing');
}

/** zod's default messages ("Invalid input: expected string, received undefined") in plain words; custom ones stay. */
function zodIssueProblems(issue: z.core.$ZodIssue, basePath: PropertyKey[], prefix: string): ConfigProblem[] {
  const path = [...basePath, ...issue.path].map(String);
  const at = (extra: string[] = []) => {
    const rel = [...path, ...extra].join('.');
    return { key: [prefix, rel].filter(Boolean).join('.') || '(top level)', path: rel };
  };
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? '' : `, got ${shown(input)}`;
  const isDefault = /^(Invalid input|Invalid option|Too small|Too big|Invalid string|Invalid element|Invalid key|Invalid value)\b/.test(
    issue.message,
  );
  switch (issue.code) {
    case 'unrecognized_keys':
      // Name each unknown key itself, so a typo is found by searching the file for the printed key.
      return issue.keys.map((k) => ({ ...at([k]), message: 'unknown key' }));
    case 'invalid_type':
      if (input === undefined) return [{ ...at(), message: 'required', required: true }];
      if (!isDefault) break;
      return [{ ...at(), message: `must be ${KINDS[issue.expected] ?? issue.expected}${got}` }];
    case 'invalid_value':
      if (!isDefault) break;
      return [{ ...at(), message: `must be ${issue.values.length > 1 ? 'one of ' : ''}${oneOf(issue.values)}${got}` }];
    case 'too_small':
    case 'too_big': {
      if (!isDefault) break;
      const small = issue.code === 'too_small';
      const limit = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      const inclusive = issue.inclusive !== false;
      const what =
        issue.origin === 'string'
          ? small && Number(limit) === 1
            ? 'must not be empty'
            : `must be ${small ? 'at least' : 'at most'} ${limit} characters long`
          : issue.origin === 'array' || issue.origin === 'set'
            ? `needs ${small ? 'at least' : 'at most'} ${limit} entries`
            : `must be ${small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than'} ${limit}`;
      return [{ ...at(), message: `${what}${issue.origin === 'array' ? '' : got}` }];
    }
    case 'invalid_format':
      if (!isDefault) break;
      return [{ ...at(), message: `has the wrong form${got}` }];
    case 'invalid_union': {
      // Report the alternative the value was meant for: the one that did not fail on its type at the top.
      const meant = issue.errors.find((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (meant) return meant.flatMap((i) => zodIssueProblems(i, path, prefix));
      const kinds = issue.errors
        .flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? (KINDS[i.expected] ?? i.expected) : undefined)))
        .filter(Boolean);
      if (input === undefined) return [{ ...at(), message: 'required', required: true }];
      return [{ ...at(), message: `must be ${[...new Set(kinds)].join(' or ')}${got}` }];
    }
  }
  return [{ ...at(), message: issue.message }];
}

/** Validates `raw` and returns the problems instead of throwing; each names its key. */
export function checkConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  prefix = '',
): { ok: true; data: z.output<S> } | { ok: false; problems: ConfigProblem[] } {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => zodIssueProblems(issue, [], prefix)) };
}

/**
 * Validates `raw` (file section merged with flag overrides) once, at start-up.
 * `prefix` is the section's dotted position in the file so messages name the key as the operator wrote it.
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string, prefix = ''): z.output<S> {
  const checked = checkConfig(schema, raw, prefix);
  if (checked.ok) return checked.data;
  throw new ConfigError('', { source, problems: checked.problems });
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
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    // A flag replaces the file's value under either name; otherwise a file using an older name would seem to give both.
    for (const older of olderNamesOf(schema, key)) deleteDotted(raw, older);
    setDotted(raw, key, value);
  }
  return validateConfig(schema, raw, opts.file ?? 'command line', opts.file ? (opts.section ?? '') : '');
}
