import { readFile } from 'node:fs/promises';
import { ConfigError, setDotted } from '../config.ts';
import { formatDuration } from '@peergroup/service';
import { UsageError, flagOption, stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { accountsConfigFile, accountsConfigOptions, accountsDurationKeys, loadAccountsConfig } from './accounts-serve.ts';
import { openAccountsContext, type AccountsContext } from '@peergroup/accounts';
import { checkPasswordStrength } from '@peergroup/accounts';
import { TrustError } from '@peergroup/trust';
import { terminalLogger } from '../terminal-log.ts';

/** Opens the same database, secret and trust settings as `accounts serve` would with the same flags/config. */
export async function withContext<T>(ctx: CommandContext, fn: (a: AccountsContext) => Promise<T>): Promise<T> {
  const config = loadAccountsConfig(ctx);
  let a: AccountsContext;
  try {
    a = await openAccountsContext(config, { logger: terminalLogger(ctx, 'accounts-admin') });
  } catch (err) {
    if (/^secretFile /.test((err as Error).message)) throw new ConfigError((err as Error).message);
    throw err;
  }
  try {
    return await fn(a);
  } finally {
    await a.close();
  }
}

/**
 * The command was used correctly but the request was turned down (a weak password, a taken or unknown name): the
 * operator needs the reason, not the usage text. Exit status 1.
 */
export class Refusal extends Error {
  override name = 'Refusal';
}

export async function userIdOf(a: AccountsContext, username: string): Promise<string> {
  const u = await a.store.getUserByName(username);
  if (!u) throw new Refusal(`no user named "${username}"`);
  return u.userId;
}

export function onePositional(ctx: CommandContext, what: string): string {
  if (ctx.positionals.length !== 1) throw new UsageError(`give exactly one ${what}`);
  return ctx.positionals[0]!;
}

/** Asks on the terminal without echo: readline reads the line, its output (the echo) goes nowhere. */
async function promptHidden(prompt: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  const { Writable } = await import('node:stream');
  const nowhere = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: nowhere, terminal: true });
  process.stderr.write(prompt);
  try {
    return await new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      // Ctrl-C or Ctrl-D at the prompt: no password.
      rl.once('SIGINT', () => resolve(undefined));
      rl.once('close', () => resolve(undefined));
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

const NO_PASSWORD =
  'no password given: type it at the prompt (on a terminal), give it as the first line of stdin (printf \'%s\\n\' "$PW" | peergroup accounts admin create-user NAME), or use --password-file FILE';

/**
 * The password, never from argv (visible in ps, kept in shell history): --password-file, else on a terminal a prompt
 * without echo, asked twice, else the first line of stdin.
 */
async function readPassword(ctx: CommandContext, username: string): Promise<string> {
  const file = stringOption(ctx, 'password-file');
  let text: string;
  if (file) text = await readFile(file, 'utf8');
  else if (process.stdin.isTTY) {
    const first = await promptHidden(`Password for ${username}: `);
    if (!first) throw new UsageError(NO_PASSWORD);
    const again = await promptHidden(`Password for ${username} (again): `);
    if (again !== first) throw new Refusal('the two passwords differ; nothing was created');
    return first;
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '')
    throw new UsageError(file ? `--password-file ${file}: its first line is empty, so no password was given` : NO_PASSWORD);
  return password;
}

/** Plain plurals: "1 user", "2 users". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The options an admin command shows: where the database is. Every other accounts setting (the flags of
 * `peergroup accounts serve`) is still accepted, so a script can pass the same flags to serve and admin, but left
 * out of --help, where it would bury the few that matter.
 */
const SHOWN = new Set(['config', 'section', 'data', 'database-url', 'secret-file']);
const common: Record<string, OptionSpec> = Object.fromEntries(
  Object.entries(accountsConfigOptions).map(([name, spec]) => [name, SHOWN.has(name) ? spec : { ...spec, hidden: true }]),
);

/**
 * An admin command. `refusals` names what exit status 1 means for this command (a request turned down); a command
 * that never refuses has no 1 in its exit-status line.
 */
export function admin(
  name: string,
  summary: string,
  usage: string | undefined,
  extra: Record<string, OptionSpec>,
  run: (ctx: CommandContext) => Promise<number>,
  details?: string,
  refusals?: string,
): Command {
  return {
    path: ['accounts', 'admin', name],
    summary,
    ...(usage ? { usage } : {}),
    details: [
      ...(details ? [details] : []),
      'Reads the accounts section of the config file peergroup serve reads, so it acts on the database the service uses.',
      'The other accounts settings (the flags of "peergroup accounts serve") are accepted too.',
      `Exit status: 0 done, ${refusals ? `1 refused (${refusals}), ` : ''}64 usage, 78 configuration.`,
    ].join('\n'),
    options: { ...extra, ...common },
    async run(ctx) {
      try {
        return await run(ctx);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        ctx.stderr.write(`peergroup accounts admin ${name}: ${err.message}\n`);
        return 1;
      }
    },
  };
}

export const commands: Command[] = [
  admin(
    'create-user',
    'Create an account without an invite (the first user, or for the operator); prints its id',
    'USERNAME',
    {
      'password-file': {
        type: 'string',
        arg: 'FILE',
        description: 'read the password from the first line of FILE (default: a prompt on a terminal, else the first line of stdin)',
      },
      admin: { type: 'boolean', description: 'mark the account as an operator account' },
    },
    async (ctx) => {
      const username = onePositional(ctx, 'USERNAME');
      const password = await readPassword(ctx, username);
      const report = checkPasswordStrength(password, username);
      if (!report.ok) throw new Refusal(`password refused: ${report.problems.join(' ')}`);
      return withContext(ctx, async (a) => {
        try {
          const u = await a.store.createUser(username, password, { admin: flagOption(ctx, 'admin') });
          await a.mail?.setPassword(u.userId, password);
          await a.settled();
          ctx.stdout.write(`created ${u.username} (${u.userId})\n`);
          return 0;
        } catch (err) {
          if (err instanceof TrustError && ['username-taken', 'invalid-username', 'invalid-password'].includes(err.code))
            throw new Refusal(err.message);
          throw err;
        }
      });
    },
    'The new account trusts nobody yet; it can create invites, and invitees trust it first.',
    'weak password, the two typed passwords differ, name taken or invalid',
  ),
  admin(
    'invite',
    'Create invite codes for a user (operator invites ignore the per-user quota); prints one code per line',
    'USERNAME',
    { count: { type: 'string', arg: 'N', description: 'how many codes', defaultText: '1' } },
    async (ctx) => {
      const username = onePositional(ctx, 'USERNAME');
      const count = Number(stringOption(ctx, 'count') ?? '1');
      if (!Number.isInteger(count) || count < 1 || count > 100) throw new UsageError('--count must be 1..100');
      return withContext(ctx, async (a) => {
        const id = await userIdOf(a, username);
        for (let i = 0; i < count; i++) {
          const inv = await a.store.createInvite(id);
          ctx.stdout.write(`${inv.code}  expires ${inv.expiresAt.toISOString()}\n`);
        }
        return 0;
      });
    },
    'Codes are shown only now (the database holds keyed hashes). Whoever redeems one trusts USERNAME first.',
    'no such user',
  ),
  admin(
    'list-users',
    'List accounts: name, id, flags, key epoch, open invites / quota, live sessions',
    undefined,
    { json: { type: 'boolean', description: 'one JSON array' } },
    async (ctx) =>
      withContext(ctx, async (a) => {
        const users = await a.store.listUsers();
        const rows = await Promise.all(
          users.map(async (u) => {
            const invites = await a.store.listInvites(u.userId);
            return {
              username: u.username,
              id: u.userId,
              admin: u.admin,
              disabled: u.disabled,
              epoch: u.epoch,
              openInvites: invites.filter((i) => i.state === 'open').length,
              inviteQuota: await a.inviteQuota(u.userId),
              sessions: await a.sessions.countFor(u.userId),
            };
          }),
        );
        if (flagOption(ctx, 'json')) ctx.stdout.write(JSON.stringify(rows) + '\n');
        else {
          const w = Math.max(8, ...rows.map((r) => r.username.length));
          ctx.stdout.write(`${'USERNAME'.padEnd(w)}  ${'ID'.padEnd(32)}  FLAGS           EPOCH  INVITES  SESSIONS\n`);
          for (const r of rows) {
            const flags = [r.admin ? 'admin' : '', r.disabled ? 'disabled' : ''].filter(Boolean).join(',') || '-';
            ctx.stdout.write(
              `${r.username.padEnd(w)}  ${r.id}  ${flags.padEnd(14)}  ${String(r.epoch).padStart(5)}  ${`${r.openInvites}/${r.inviteQuota}`.padStart(7)}  ${String(r.sessions).padStart(8)}\n`,
            );
          }
          ctx.stdout.write(`${count(rows.length, 'user')}\n`);
        }
        return 0;
      }),
  ),
  admin(
    'set-quota',
    'Set how many open invites a user may hold ("default" returns to the configured quota)',
    'USERNAME N|default',
    {},
    async (ctx) => {
      if (ctx.positionals.length !== 2) throw new UsageError('give USERNAME and a quota (a number or "default")');
      const [username, q] = ctx.positionals as [string, string];
      const quota = q === 'default' ? null : /^\d+$/.test(q) && Number(q) <= 10_000 ? Number(q) : undefined;
      if (quota === undefined) throw new UsageError('the quota must be 0..10000 or "default"');
      return withContext(ctx, async (a) => {
        const id = await userIdOf(a, username);
        await a.setInviteQuota(id, quota);
        ctx.stdout.write(`${username}: invite quota ${await a.inviteQuota(id)}${quota === null ? ' (default)' : ''}\n`);
        return 0;
      });
    },
    undefined,
    'no such user',
  ),
  ...(['disable', 'enable'] as const).map((verb) =>
    admin(
      verb,
      verb === 'disable'
        ? 'Disable an account: it cannot log in, its sessions end, it cannot be reset or invite'
        : 'Enable a disabled account again',
      'USERNAME',
      {},
      async (ctx) => {
        const username = onePositional(ctx, 'USERNAME');
        return withContext(ctx, async (a) => {
          const id = await userIdOf(a, username);
          await a.store.setDisabled(id, verb === 'disable');
          await a.mail?.flush(id);
          const ended = verb === 'disable' ? await a.sessions.destroyAllFor(id) : 0;
          ctx.stdout.write(`${username}: ${verb}d${verb === 'disable' ? `, ${count(ended, 'session')} ended` : ''}\n`);
          return 0;
        });
      },
      undefined,
      'no such user',
    ),
  ),
  // settings shows what every accounts flag does, so it lists them all.
  {
    ...admin(
      'settings',
      'Show the effective operator settings (config file + flags + defaults) and the database in use',
      undefined,
      {},
      async (ctx) => {
        const config = structuredClone(loadAccountsConfig(ctx));
        // Durations as an operator writes them (12h), not the milliseconds they are parsed to.
        for (const key of accountsDurationKeys) {
          const ms = getDotted(config, key);
          if (typeof ms === 'number') setDotted(config as unknown as Record<string, unknown>, key, formatDuration(ms));
        }
        const shown = {
          configFile: accountsConfigFile(ctx) ?? '(none: embedded default)',
          ...config,
          listen: `${config.listen.host}:${config.listen.port}`,
          databaseUrl: config.databaseUrl ? config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') : undefined,
          metrics: { listen: config.metrics.listen ? `${config.metrics.listen.host}:${config.metrics.listen.port}` : undefined },
        };
        ctx.stdout.write(JSON.stringify(shown, null, 2) + '\n');
        return 0;
      },
    ),
    options: accountsConfigOptions,
  },
];

function getDotted(obj: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
}
