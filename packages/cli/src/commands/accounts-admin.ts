import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config.ts';
import { UsageError, flagOption, stringOption, type Command, type CommandContext, type OptionSpec } from '../command.ts';
import { accountsConfigFile, accountsConfigOptions, loadAccountsConfig } from './accounts-serve.ts';
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

async function readPassword(ctx: CommandContext): Promise<string> {
  const file = stringOption(ctx, 'password-file');
  let text: string;
  if (file) text = await readFile(file, 'utf8');
  else {
    // First line of stdin: keeps the password out of argv (visible in ps) and out of shell history.
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  return text.split(/\r?\n/)[0] ?? '';
}

const common = accountsConfigOptions;

export function admin(name: string, summary: string, usage: string | undefined, extra: Record<string, OptionSpec>, run: (ctx: CommandContext) => Promise<number>, details?: string): Command {
  return {
    path: ['accounts', 'admin', name],
    summary,
    ...(usage ? { usage } : {}),
    details: [
      ...(details ? [details] : []),
      'Reads the accounts section of the config file peergroup serve reads, so it acts on the database the service uses.',
      'Exit status: 0 done, 1 refused (weak password, name taken, no such user), 64 usage, 78 configuration.',
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
      'password-file': { type: 'string', arg: 'FILE', description: 'read the password from the first line of FILE (default: first line of stdin)' },
      admin: { type: 'boolean', description: 'mark the account as an operator account' },
    },
    async (ctx) => {
      const username = onePositional(ctx, 'USERNAME');
      const password = await readPassword(ctx);
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
          if (err instanceof TrustError && ['username-taken', 'invalid-username', 'invalid-password'].includes(err.code)) throw new Refusal(err.message);
          throw err;
        }
      });
    },
    'The new account trusts nobody yet; it can create invites, and invitees trust it first.',
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
  ),
  admin('list-users', 'List accounts: name, id, flags, key epoch, open invites / quota, live sessions', undefined, { json: { type: 'boolean', description: 'one JSON array' } }, async (ctx) =>
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
          ctx.stdout.write(`${r.username.padEnd(w)}  ${r.id}  ${flags.padEnd(14)}  ${String(r.epoch).padStart(5)}  ${`${r.openInvites}/${r.inviteQuota}`.padStart(7)}  ${String(r.sessions).padStart(8)}\n`);
        }
        ctx.stdout.write(`${rows.length} user(s)\n`);
      }
      return 0;
    }),
  ),
  admin('set-quota', 'Set how many open invites a user may hold ("default" returns to the configured quota)', 'USERNAME N|default', {}, async (ctx) => {
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
  }),
  ...(['disable', 'enable'] as const).map((verb) =>
    admin(
      verb,
      verb === 'disable' ? 'Disable an account: it cannot log in, its sessions end, it cannot be reset or invite' : 'Enable a disabled account again',
      'USERNAME',
      {},
      async (ctx) => {
        const username = onePositional(ctx, 'USERNAME');
        return withContext(ctx, async (a) => {
          const id = await userIdOf(a, username);
          await a.store.setDisabled(id, verb === 'disable');
          await a.mail?.flush(id);
          const ended = verb === 'disable' ? await a.sessions.destroyAllFor(id) : 0;
          ctx.stdout.write(`${username}: ${verb}d${verb === 'disable' ? `, ${ended} session(s) ended` : ''}\n`);
          return 0;
        });
      },
    ),
  ),
  admin('settings', 'Show the effective operator settings (config file + flags + defaults) and the database in use', undefined, {}, async (ctx) => {
    const config = loadAccountsConfig(ctx);
    const shown = {
      configFile: accountsConfigFile(ctx) ?? '(none: embedded default)',
      ...config,
      listen: `${config.listen.host}:${config.listen.port}`,
      databaseUrl: config.databaseUrl ? config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') : undefined,
      metrics: { listen: config.metrics.listen ? `${config.metrics.listen.host}:${config.metrics.listen.port}` : undefined },
    };
    ctx.stdout.write(JSON.stringify(shown, null, 2) + '\n');
    return 0;
  }),
];
