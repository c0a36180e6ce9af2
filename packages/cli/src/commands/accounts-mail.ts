// Operator commands for mail accounts (accounts.mailboxes): domains, catch-alls, quota overrides, and the mail
// homes of deleted accounts. They act on the database `peergroup serve` uses, like the other admin commands.
import { UsageError, flagOption, type Command, type CommandContext } from '../command.ts';
import { admin, Refusal, userIdOf, withContext } from './accounts-admin.ts';
import type { AccountsContext } from '@peergroup/accounts';

function mailOf(a: AccountsContext): NonNullable<AccountsContext['mail']> {
  if (!a.mail) throw new Refusal('mail accounts are not configured (no accounts.mailboxes section in the config file)');
  return a.mail;
}

/** `512M`, `2G`, a number of bytes, `0` (unlimited) or `default`. */
function parseQuota(text: string): number | null {
  if (text === 'default') return null;
  const m = /^(\d+)([KMGT]?)$/i.exec(text);
  if (!m) throw new UsageError('the quota is a size such as 500M or 2G, 0 for unlimited, or "default"');
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
}

const refuse = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'MailRefusal') throw new Refusal((err as Error).message);
    throw err;
  }
};

export const commands: Command[] = [
  admin(
    'domain',
    'Mail domains besides the account domain: add, remove or list them (aliases and catch-alls live there)',
    'add|remove|list [DOMAIN]',
    { json: { type: 'boolean', description: 'list: one JSON array' } },
    async (ctx: CommandContext) => {
      const [verb, name] = ctx.positionals;
      if (verb === 'list' && ctx.positionals.length === 1) {
        return withContext(ctx, async (a) => {
          const mail = mailOf(a);
          const list = await mail.listDomains();
          if (flagOption(ctx, 'json')) ctx.stdout.write(JSON.stringify([{ name: mail.config.domain, accounts: true }, ...list]) + '\n');
          else {
            ctx.stdout.write(`${mail.config.domain}  (accounts)\n`);
            for (const d of list) ctx.stdout.write(`${d.name}${d.catchAll ? `  catch-all → ${d.catchAll}` : ''}\n`);
          }
          return 0;
        });
      }
      if ((verb !== 'add' && verb !== 'remove') || !name || ctx.positionals.length !== 2)
        throw new UsageError('give add DOMAIN, remove DOMAIN or list');
      return withContext(ctx, async (a) =>
        refuse(async () => {
          const mail = mailOf(a);
          if (verb === 'add') await mail.addDomain(name);
          else await mail.removeDomain(name);
          ctx.stdout.write(`${name.toLowerCase()}: ${verb === 'add' ? 'added' : 'removed'}\n`);
          return 0;
        }),
      );
    },
    'Postfix sees a new domain at its next lookup. Removing a domain refuses its mail from then on; its aliases stay as tombstones.',
    'mail accounts not configured, domain taken or unknown',
  ),
  admin(
    'catch-all',
    'Send mail for unknown addresses of a domain to one user ("none" turns it off)',
    'DOMAIN USERNAME|none',
    {},
    async (ctx) => {
      if (ctx.positionals.length !== 2) throw new UsageError('give DOMAIN and a USERNAME (or "none")');
      const [domain, user] = ctx.positionals as [string, string];
      return withContext(ctx, async (a) =>
        refuse(async () => {
          await mailOf(a).setCatchAll(domain, user === 'none' ? null : user);
          ctx.stdout.write(`${domain}: catch-all ${user === 'none' ? 'off' : `→ ${user}`}\n`);
          return 0;
        }),
      );
    },
    undefined,
    'mail accounts not configured, no such domain or user',
  ),
  admin(
    'mail-quota',
    'Set a user\'s mailbox quota (500M, 2G, 0 = unlimited, "default" = the configured quota)',
    'USERNAME SIZE|default',
    {},
    async (ctx) => {
      if (ctx.positionals.length !== 2) throw new UsageError('give USERNAME and a quota');
      const [username, q] = ctx.positionals as [string, string];
      const bytes = parseQuota(q);
      return withContext(ctx, async (a) => {
        const mail = mailOf(a);
        const id = await userIdOf(a, username);
        await mail.setQuota(id, bytes);
        ctx.stdout.write(`${username}: mailbox quota ${(await mail.settings(id)).quotaBytes} bytes${bytes === null ? ' (default)' : ''}\n`);
        return 0;
      });
    },
    undefined,
    'mail accounts not configured, no such user',
  ),
  admin(
    'mail-deleted',
    'List deleted accounts and the mail home directory each left behind (for the operator to remove)',
    undefined,
    {},
    async (ctx) =>
      withContext(ctx, async (a) => {
        const mail = mailOf(a);
        await mail.processDueDeletions();
        for (const d of await mail.deletedAccounts()) ctx.stdout.write(`${d.username}\t${d.deletedAt.toISOString()}\t${d.home}\n`);
        return 0;
      }),
    undefined,
    'mail accounts not configured',
  ),
];
