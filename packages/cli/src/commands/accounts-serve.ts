import { runService } from '../run-service.ts';
import { ConfigError, deleteDotted, readConfigFile, setDotted, validateConfig } from '../config.ts';
import { configFileFor, configFileHelp } from '../config-file.ts';
import { stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { accountsConfigSchema, type AccountsConfig } from '@peergroup/accounts';
import { startAccounts } from '@peergroup/accounts';
import { createLogger, olderNamesOf } from '@peergroup/service';

type Kind = 'string' | 'number' | 'duration' | 'bool-flag' | 'bool-value';

interface Setting {
  key: string;
  kind: Kind;
  description: string;
  arg?: string;
  defaultText?: string;
  hidden?: boolean;
}

// Every accounts setting as a flag; the config key is the same dotted path under the `accounts` section.
const SETTINGS: Record<string, Setting> = {
  listen: {
    key: 'listen',
    kind: 'string',
    arg: 'HOST:PORT',
    description: 'public HTTP listener (put TLS or an onion service in front)',
    defaultText: '127.0.0.1:8080',
  },
  data: {
    key: 'dataDir',
    kind: 'string',
    arg: 'DIR',
    description: 'data directory: SQLite file, server secret, outbox',
    defaultText: './data',
  },
  'database-url': {
    key: 'databaseUrl',
    kind: 'string',
    arg: 'URL',
    description: 'postgres://… to use PostgreSQL instead of SQLite (env DATABASE_URL also works)',
  },
  'secret-file': {
    key: 'secretFile',
    kind: 'string',
    arg: 'FILE',
    description: 'server secret file (created with mode 600 if missing)',
    defaultText: 'DIR/server-secret',
  },
  'secure-cookies': {
    key: 'secureCookies',
    kind: 'string',
    arg: 'auto|always|never',
    description: 'Secure cookie flag; auto = on for TLS and .onion hosts',
    defaultText: 'auto',
  },
  'trust-proxy': { key: 'trustProxy', kind: 'bool-flag', description: 'believe X-Forwarded-For/-Proto from a reverse proxy' },
  'session-ttl': { key: 'sessionTtl', kind: 'duration', arg: 'DURATION', description: 'session lifetime', defaultText: '12h' },
  'site-name': {
    key: 'siteName',
    kind: 'string',
    arg: 'TEXT',
    description: 'name shown in pages and mail',
    defaultText: 'peergroup accounts',
  },
  'mail-mode': {
    key: 'mail.mode',
    kind: 'string',
    arg: 'outbox|smtp',
    description: 'notifications as .eml files or over SMTP',
    defaultText: 'outbox',
  },
  'outbox-dir': {
    key: 'mail.outboxDir',
    kind: 'string',
    arg: 'DIR',
    description: 'where outbox mode writes mail',
    defaultText: 'DIR/outbox',
  },
  'mail-from': {
    key: 'mail.from',
    kind: 'string',
    arg: 'ADDRESS',
    description: 'From: of notifications',
    defaultText: 'accounts@localhost',
  },
  'mail-retry': {
    key: 'mail.retryInterval',
    kind: 'duration',
    arg: 'DURATION',
    description: 'smtp mode: retry interval for failed submissions (never dropped)',
    defaultText: '1m',
  },
  'mail-domain': {
    key: 'mail.domain',
    kind: 'string',
    arg: 'DOMAIN',
    description: 'notifications go to USERNAME@DOMAIN',
    defaultText: 'localhost',
  },
  'smtp-host': { key: 'mail.smtp.host', kind: 'string', arg: 'HOST', description: 'submission server', defaultText: '127.0.0.1' },
  'smtp-port': { key: 'mail.smtp.port', kind: 'number', arg: 'PORT', description: 'submission port', defaultText: '587' },
  'smtp-secure': { key: 'mail.smtp.secure', kind: 'bool-flag', description: 'implicit TLS (port 465)' },
  'smtp-require-tls': {
    key: 'mail.smtp.requireTls',
    kind: 'bool-value',
    arg: 'true|false',
    description: 'refuse to submit without STARTTLS',
    defaultText: 'true',
  },
  'smtp-user': { key: 'mail.smtp.user', kind: 'string', arg: 'NAME', description: 'SMTP AUTH user' },
  'smtp-password-file': { key: 'mail.smtp.passwordFile', kind: 'string', arg: 'FILE', description: 'file holding the SMTP AUTH password' },
  slots: { key: 'trust.slots', kind: 'number', arg: 'N', description: 'trust slots per user (padding)', defaultText: '8' },
  'min-wait': {
    key: 'trust.minWait',
    kind: 'duration',
    arg: 'DURATION',
    description: 'operator minimum reset waiting period',
    defaultText: '1d',
  },
  'default-wait': {
    key: 'trust.defaultWait',
    kind: 'duration',
    arg: 'DURATION',
    description: 'waiting period for new accounts',
    defaultText: '3d',
  },
  'invite-quota': {
    key: 'trust.inviteQuota',
    kind: 'number',
    arg: 'N',
    description: 'open invites per user (admin set-quota overrides per user)',
    defaultText: '5',
  },
  'invite-ttl': { key: 'trust.inviteTtl', kind: 'duration', arg: 'DURATION', description: 'invite lifetime', defaultText: '14d' },
  'reset-code-ttl': { key: 'trust.resetCodeTtl', kind: 'duration', arg: 'DURATION', description: 'reset code lifetime', defaultText: '1d' },
  'veto-hold': {
    key: 'trust.vetoHold',
    kind: 'duration',
    arg: 'DURATION',
    description: 'after a veto, ignore reset requests this long',
    defaultText: '7d',
  },
  'pwhash-opslimit': { key: 'trust.pwhash.opslimit', kind: 'number', arg: 'N', description: 'Argon2id passes', defaultText: '2' },
  'pwhash-memlimit': {
    key: 'trust.pwhash.memlimit',
    kind: 'number',
    arg: 'BYTES',
    description: 'Argon2id memory',
    defaultText: '67108864',
  },
  'pwhash-concurrency': {
    key: 'trust.pwhashConcurrency',
    kind: 'number',
    arg: 'N',
    description: 'Argon2id computations at once',
    defaultText: 'CPU cores - 1',
  },
  metrics: {
    key: 'metrics.listen',
    kind: 'string',
    arg: 'HOST:PORT',
    description: 'loopback /metrics and /healthz listener (off when unset)',
  },
  // The older name, from before every service called it --metrics; accepted, not shown.
  'metrics-listen': { key: 'metrics.listen', kind: 'string', arg: 'HOST:PORT', description: 'older name of --metrics', hidden: true },
};
for (const action of ['login', 'signup', 'reset'] as const) {
  SETTINGS[`${action}-limit-account`] = {
    key: `rateLimits.${action}.perAccount`,
    kind: 'number',
    arg: 'N',
    description: `${action} attempts per account name per window`,
  };
  SETTINGS[`${action}-limit-client`] = {
    key: `rateLimits.${action}.perClient`,
    kind: 'number',
    arg: 'N',
    description: `${action} attempts per client address per window`,
  };
  SETTINGS[`${action}-limit-window`] = {
    key: `rateLimits.${action}.window`,
    kind: 'duration',
    arg: 'DURATION',
    description: `${action} rate-limit window`,
  };
}

/** Dotted keys of the accounts config whose values are durations (milliseconds once parsed), for display. */
export const accountsDurationKeys: readonly string[] = [
  ...Object.values(SETTINGS)
    .filter((s) => s.kind === 'duration')
    .map((s) => s.key),
  'mailboxes.aliases.coolDown',
  'mailboxes.deletionWait',
  'mailboxes.lookupTimeout',
];

export const accountsConfigOptions: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    arg: 'FILE',
    description: `YAML config file, the one peergroup serve reads; accounts settings are read from its --section (${configFileHelp})`,
  },
  section: { type: 'string', arg: 'KEY', description: 'top-level key of the accounts settings in --config', defaultText: 'accounts' },
  ...Object.fromEntries(
    Object.entries(SETTINGS).map(([name, s]) => [
      name,
      {
        type: s.kind === 'bool-flag' ? 'boolean' : 'string',
        description: s.description,
        configKey: `accounts.${s.key}`,
        ...(s.arg ? { arg: s.arg } : {}),
        // Every accounts duration key's plain number is seconds, the unit of its older `*Seconds` name.
        ...(s.kind === 'duration' ? { durationUnit: 's' as const } : {}),
        ...(s.defaultText ? { defaultText: s.defaultText } : {}),
        ...(s.hidden ? { hidden: true } : {}),
      } satisfies OptionSpec,
    ]),
  ),
};

/**
 * Config file section + DATABASE_URL from the environment + flags (in rising precedence), validated once. The file
 * is the one `peergroup serve` reads (configFileFor), so admin commands without flags act on the served database.
 */
export function loadAccountsConfig(ctx: CommandContext, env: NodeJS.ProcessEnv = process.env): AccountsConfig {
  const overrides: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS)) {
    const v = ctx.values[name];
    if (v === undefined || v === false) continue;
    if (s.kind === 'bool-flag') overrides[s.key] = true;
    // zod names the key if the value is not a number (or a duration); a plain number means what it means in the file.
    else if (s.kind === 'number' || s.kind === 'duration') overrides[s.key] = /^\d+(\.\d+)?$/.test(String(v)) ? Number(v) : v;
    else if (s.kind === 'bool-value') overrides[s.key] = v === 'true' ? true : v === 'false' ? false : v;
    else overrides[s.key] = v;
  }
  const section = stringOption(ctx, 'section') ?? 'accounts';
  const file = configFileFor(stringOption(ctx, 'config'), env);
  let raw: Record<string, unknown> = {};
  if (file) {
    const node = readConfigFile(file)[section];
    if (node !== undefined && (typeof node !== 'object' || node === null || Array.isArray(node)))
      throw new ConfigError(`${file}: ${section}: must be a mapping`);
    // `enabled` says whether `peergroup serve` runs the section; it is not an accounts setting.
    const { enabled: _enabled, ...rest } = structuredClone((node as Record<string, unknown> | undefined) ?? {});
    raw = rest;
  }
  if (overrides.databaseUrl === undefined && raw.databaseUrl === undefined && env.DATABASE_URL) overrides.databaseUrl = env.DATABASE_URL;
  for (const [key, value] of Object.entries(overrides)) {
    for (const older of olderNamesOf(accountsConfigSchema, key)) deleteDotted(raw, older);
    setDotted(raw, key, value);
  }
  return validateConfig(accountsConfigSchema, raw, file ?? 'command line', file ? section : '');
}

/** The config file loadAccountsConfig reads, for `accounts admin settings`; undefined is the embedded default. */
export function accountsConfigFile(ctx: CommandContext, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configFileFor(stringOption(ctx, 'config'), env);
}

export const command: Command = {
  path: ['accounts', 'serve'],
  summary: 'Run the account-management web service (invites, trust links, peer-assisted password resets)',
  details: [
    'Server-rendered pages that work with JavaScript off (Tor Browser "Safest"). No admin pages: use "peergroup accounts admin".',
    'Embedded default: one SQLite file under --data; --database-url (or DATABASE_URL) switches to PostgreSQL.',
    'Notifications are written as .eml files to the outbox unless --mail-mode smtp. See docs/accounts.md.',
  ].join('\n'),
  options: accountsConfigOptions,
  async run(ctx) {
    const config = loadAccountsConfig(ctx);
    const logger = createLogger('accounts');
    // The life cycle of every service (listener lines, started/stopping/stopped, stop when the supervisor dies).
    return runService(ctx, logger, async () => {
      try {
        return await startAccounts(config, { logger });
      } catch (err) {
        if (/^(secretFile|listen) /.test((err as Error).message)) throw new ConfigError((err as Error).message);
        throw err;
      }
    });
  },
};
