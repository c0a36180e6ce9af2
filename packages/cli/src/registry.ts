import type { Command } from './command.ts';

/**
 * Every command by its path and summary, with `load()` importing its module only when that command runs or shows its
 * help: `peergroup --help` then reads no command module (and none of zod, pino, yaml, smtp-server, kysely), and one
 * command pays only for its own imports. A test checks each entry against the module it loads, so the summary here
 * cannot drift from the command's own.
 */
export interface CommandEntry {
  path: string[];
  summary: string;
  load(): Promise<Command>;
}

/** The command of `path` among a module's `command` or `commands`. */
function pick(path: string[]) {
  return (mod: { command?: Command; commands?: Command[] }): Command => {
    const found = [...(mod.command ? [mod.command] : []), ...(mod.commands ?? [])].find((c) => c.path.join(' ') === path.join(' '));
    if (!found) throw new Error(`the module of "peergroup ${path.join(' ')}" does not export that command`);
    return found;
  };
}

function entry(path: string[], summary: string, load: () => Promise<{ command?: Command; commands?: Command[] }>): CommandEntry {
  return { path, summary, load: () => load().then(pick(path)) };
}

const accountsAdmin = () => import('./commands/accounts-admin.ts');
const accountsMail = () => import('./commands/accounts-mail.ts');

export const registry: CommandEntry[] = [
  entry(['accounts', 'admin', 'catch-all'], 'Send mail for unknown addresses of a domain to one user ("none" turns it off)', accountsMail),
  entry(
    ['accounts', 'admin', 'create-user'],
    'Create an account without an invite (the first user, or for the operator); prints its id',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'admin', 'disable'],
    'Disable an account: it cannot log in, its sessions end, it cannot be reset or invite',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'admin', 'domain'],
    'Mail domains besides the account domain: add, remove or list them (aliases and catch-alls live there)',
    accountsMail,
  ),
  entry(['accounts', 'admin', 'enable'], 'Enable a disabled account again', accountsAdmin),
  entry(
    ['accounts', 'admin', 'invite'],
    'Create invite codes for a user (operator invites ignore the per-user quota); prints one code per line',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'admin', 'list-users'],
    'List accounts: name, id, flags, key epoch, open invites / quota, live sessions',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'admin', 'mail-deleted'],
    'List deleted accounts and the mail home directory each left behind (for the operator to remove)',
    accountsMail,
  ),
  entry(
    ['accounts', 'admin', 'mail-quota'],
    'Set a user\'s mailbox quota (500M, 2G, 0 = unlimited, "default" = the configured quota)',
    accountsMail,
  ),
  entry(
    ['accounts', 'admin', 'set-quota'],
    'Set how many open invites a user may hold ("default" returns to the configured quota)',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'admin', 'settings'],
    'Show the effective operator settings (config file + flags + defaults) and the database in use',
    accountsAdmin,
  ),
  entry(
    ['accounts', 'serve'],
    'Run the account-management web service (invites, trust links, peer-assisted password resets)',
    () => import('./commands/accounts-serve.ts'),
  ),
  entry(
    ['dev', 'tornet'],
    'Run a private Tor network on loopback (3 authorities, relays, an onion service node and a client) for manual work',
    () => import('./commands/dev-tornet.ts'),
  ),
  entry(
    ['dev', 'tornet', 'client'],
    'Stop or start the client node of a running "peergroup dev tornet" (Tor down, then back)',
    () => import('./commands/dev-tornet-client.ts'),
  ),
  entry(
    ['onionmx', 'inbound'],
    'SMTP front of our onion MX: accepts mail for our domains only and forwards it to the internal MX',
    () => import('./commands/onionmx-inbound.ts'),
  ),
  entry(
    ['onionmx', 'map', 'check'],
    'Validate an onion map file and list every domain as accepted (with its onion) or refused (with line and reason)',
    () => import('./commands/onionmx-map.ts'),
  ),
  entry(
    ['onionmx', 'map', 'fetch'],
    'Fetch a minisign-signed onion map (over Tor by default), check it, and replace FILE only if every check passes',
    () => import('./commands/onionmx-map.ts'),
  ),
  entry(
    ['onionmx', 'publish'],
    'Print the torrc lines and the _onion-mx._tcp SRV records for our onion MX; --verify checks DNS',
    () => import('./commands/onionmx-publish.ts'),
  ),
  entry(
    ['onionmx', 'relay'],
    'Deliver onion-routed mail from the MTA (LMTP/SMTP on loopback) to onion MXs through Tor, synchronously',
    () => import('./commands/onionmx-relay.ts'),
  ),
  entry(
    ['onionmx', 'route'],
    'Show where mail for an address or domain would go (onion, none or tempfail) and why',
    () => import('./commands/onionmx-route.ts'),
  ),
  entry(
    ['onionmx', 'router'],
    'Answer Postfix (tcp_table, socketmap) and Exim (readsocket) lookups: where mail for a domain goes',
    () => import('./commands/onionmx-router.ts'),
  ),
  entry(
    ['serve'],
    'Run every service (router, relay, inbound, accounts) from one config file — or the embedded default',
    () => import('./commands/serve.ts'),
  ),
];
