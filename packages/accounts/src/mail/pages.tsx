/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Mail pages: settings for the mail client, app passwords, aliases, deleting the account. Plain forms, no JavaScript.
import { CsrfField, Layout } from '../views/layout.tsx';
import { formatTime, type Common } from '../views/pages.tsx';
import type { MailboxesConfig } from './config.ts';
import type { AliasInfo, AppPasswordInfo } from './mail-accounts.ts';

export function formatBytes(n: number): string {
  if (n === 0) return 'unlimited';
  for (const [unit, size] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n >= size) return `${Math.round((n / size) * 10) / 10} ${unit}`;
  }
  return `${n} bytes`;
}

function Errors({ errors }: { errors?: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <ul class="errors" role="alert">
      {errors.map((e) => (
        <li>{e}</li>
      ))}
    </ul>
  );
}

/** On the dashboard. */
export function MailSummary(p: { address: string; quotaBytes: number; webOnly: boolean; deleteAt: Date | null }) {
  return (
    <section id="mail-summary">
      {p.deleteAt ? (
        <p class="alert" id="deletion-pending">
          Your account will be deleted at {formatTime(p.deleteAt)}. <a href="/account/delete">Cancel the deletion</a>.
        </p>
      ) : null}
      <h2>Mail</h2>
      <p>
        Your address is <strong id="mail-address">{p.address}</strong>. Mailbox quota:{' '}
        <span id="mail-quota">{formatBytes(p.quotaBytes)}</span>. <a href="/mail">Mail settings</a>
      </p>
    </section>
  );
}

function security(s: 'starttls' | 'tls' | 'none'): string {
  return s === 'tls' ? 'SSL/TLS' : s === 'starttls' ? 'STARTTLS' : 'none (only over the onion service)';
}

export function MailSettingsPage(
  p: Common & {
    csrf: string;
    config: MailboxesConfig;
    address: string;
    quotaBytes: number;
    webOnly: boolean;
    aliases: number;
    appPasswords: number;
  },
) {
  const c = p.config.clients;
  const host = c.host ?? p.config.domain;
  const rows: [string, { port: number; security: 'starttls' | 'tls' | 'none' }][] = [
    ['IMAP (incoming)', c.imap],
    ['POP3 (incoming)', c.pop3],
    ['SMTP submission (outgoing)', c.submission],
  ];
  return (
    <Layout title="Mail settings" {...p}>
      <p>
        Your address: <strong id="mail-address">{p.address}</strong>. Mailbox quota: {formatBytes(p.quotaBytes)}. You have{' '}
        <a href="/mail/aliases">
          {p.aliases} {p.aliases === 1 ? 'alias' : 'aliases'}
        </a>{' '}
        and{' '}
        <a href="/mail/app-passwords">
          {p.appPasswords} app {p.appPasswords === 1 ? 'password' : 'passwords'}
        </a>
        .
      </p>
      <h2>Mail client settings</h2>
      <p>User name: your address, {p.address}. Password: your account password or an app password.</p>
      <table id="client-settings">
        <thead>
          <tr>
            <th>Service</th>
            <th>Server</th>
            <th>Port</th>
            <th>Security</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, e]) => (
            <tr>
              <td>{name}</td>
              <td>{host}</td>
              <td>{String(e.port)}</td>
              <td>{security(e.security)}</td>
            </tr>
          ))}
          {c.managesieve ? (
            <tr>
              <td>ManageSieve (filters)</td>
              <td>{host}</td>
              <td>{String(c.managesieve.port)}</td>
              <td>STARTTLS</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {c.onion ? (
        <p id="onion-host">
          Over Tor, use <strong>{c.onion}</strong> as the server with the same ports; the onion service already encrypts the connection.
        </p>
      ) : null}
      <h2>Where your main password works</h2>
      {p.webOnly ? (
        <p id="web-only-state">Your main password works on this website only. Mail clients log in with an app password.</p>
      ) : (
        <p id="web-only-state">Your main password works here and in mail clients.</p>
      )}
      <form method="post" action="/mail/web-only">
        <CsrfField token={p.csrf} />
        <input type="hidden" name="webOnly" value={p.webOnly ? '0' : '1'} />
        <button type="submit" class="secondary">
          {p.webOnly ? 'Let mail clients use my main password' : 'Use my main password on the web only'}
        </button>
      </form>
      <p class="hint">
        With a web-only password, a stolen phone or a leaky mail client holds only an app password, which you revoke here, never the
        password that unlocks your account and your trusted users.
      </p>
      <h2>Leaving</h2>
      <p>
        <a href="/account/delete">Delete my account</a>
      </p>
    </Layout>
  );
}

export function AppPasswordsPage(
  p: Common & { csrf: string; list: AppPasswordInfo[]; max: number; created?: { name: string; secret: string }; errors?: string[] },
) {
  return (
    <Layout title="App passwords" {...p}>
      {p.created ? (
        <section class="alert" id="new-app-password">
          <h2>App password for {p.created.name}</h2>
          <p class="code" id="app-password">
            {p.created.secret}
          </p>
          <p>It is shown only this once. Type it into that device's mail client as the password, with your address as the user name.</p>
        </section>
      ) : null}
      <p>One password per device. If a device is lost, revoke its password: the others keep working.</p>
      <Errors errors={p.errors} />
      {p.list.length === 0 ? (
        <p id="no-app-passwords">You have no app passwords.</p>
      ) : (
        <table id="app-passwords">
          <thead>
            <tr>
              <th>Device</th>
              <th>Created</th>
              <th>Last used</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.list.map((a) => (
              <tr>
                <td>{a.name}</td>
                <td>{formatTime(a.createdAt)}</td>
                <td>{a.lastUsedAt ? formatTime(a.lastUsedAt) : 'never'}</td>
                <td>
                  <form method="post" action="/mail/app-passwords/revoke" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="id" value={a.id} />
                    <button type="submit" class="secondary" aria-label={`Revoke ${a.name}`}>
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {p.list.length < p.max ? (
        <form method="post" action="/mail/app-passwords">
          <CsrfField token={p.csrf} />
          <label for="device">Device name</label>
          <input type="text" id="device" name="name" maxlength={64} required />
          <p>
            <button type="submit">Create an app password</button>
          </p>
        </form>
      ) : (
        <p>You have the most app passwords allowed ({p.max}). Revoke one to make another.</p>
      )}
    </Layout>
  );
}

export function AliasesPage(
  p: Common & {
    csrf: string;
    list: AliasInfo[];
    domains: string[];
    customLeft: number;
    randomLeft: number;
    coolDownDays: number;
    created?: string;
    errors?: string[];
  },
) {
  const domainField = (id: string) =>
    p.domains.length > 1 ? (
      <>
        <label for={id}>Domain</label>
        <select id={id} name="domain">
          {p.domains.map((d) => (
            <option value={d}>{d}</option>
          ))}
        </select>
      </>
    ) : (
      <input type="hidden" name="domain" value={p.domains[0] ?? ''} />
    );
  return (
    <Layout title="Aliases" {...p}>
      {p.created ? (
        <p class="notice ok" id="alias-created">
          Mail to <strong>{p.created}</strong> now arrives in your mailbox, and you can send from it.
        </p>
      ) : null}
      <p>
        Other addresses that deliver to your mailbox. A deleted alias refuses mail, and nobody else can take it for {p.coolDownDays}{' '}
        {p.coolDownDays === 1 ? 'day' : 'days'}.
      </p>
      <Errors errors={p.errors} />
      {p.list.length === 0 ? (
        <p id="no-aliases">You have no aliases.</p>
      ) : (
        <table id="aliases">
          <thead>
            <tr>
              <th>Address</th>
              <th>Note</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.list.map((a) => (
              <tr>
                <td>{a.address}</td>
                <td>{a.note ?? (a.kind === 'random' ? '' : '')}</td>
                <td>
                  <form method="post" action="/mail/aliases/delete" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="address" value={a.address} />
                    <button type="submit" class="secondary" aria-label={`Delete ${a.address}`}>
                      Delete
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Choose an alias</h2>
      {p.customLeft > 0 ? (
        <form method="post" action="/mail/aliases">
          <CsrfField token={p.csrf} />
          <label for="local">Name before the @</label>
          <input type="text" id="local" name="local" autocomplete="off" autocapitalize="none" spellcheck={false} required />
          {domainField('custom-domain')}
          <p class="hint">You can choose {p.customLeft} more.</p>
          <p>
            <button type="submit">Add alias</button>
          </p>
        </form>
      ) : (
        <p>You have chosen the most aliases allowed. Delete one to choose another.</p>
      )}
      <h2>Random alias</h2>
      {p.randomLeft > 0 ? (
        <form method="post" action="/mail/aliases/random">
          <CsrfField token={p.csrf} />
          <label for="note">Note (for example where you used it)</label>
          <input type="text" id="note" name="note" maxlength={200} />
          {domainField('random-domain')}
          <p>
            <button type="submit">Make a random alias</button>
          </p>
        </form>
      ) : (
        <p>You have the most random aliases allowed.</p>
      )}
    </Layout>
  );
}

export function DeleteAccountPage(p: Common & { csrf: string; deleteAt: Date | null; waitText: string; errors?: string[] }) {
  if (p.deleteAt) {
    return (
      <Layout title="Delete my account" {...p}>
        <p class="alert" id="deletion-pending">
          Your account will be deleted at {formatTime(p.deleteAt)}. Until then everything keeps working and you can change your mind.
        </p>
        <form method="post" action="/account/delete/cancel">
          <CsrfField token={p.csrf} />
          <button type="submit">Keep my account</button>
        </form>
      </Layout>
    );
  }
  return (
    <Layout title="Delete my account" {...p}>
      <p>
        After a waiting period of {p.waitText} your account is deleted: you can no longer log in, here or in a mail client; mail to your
        address and your aliases is refused; your app passwords are erased; your stored mail is removed by the operator. Your username and
        aliases stay blocked, so nobody else receives mail meant for you.
      </p>
      <p>During the waiting period you can cancel on your dashboard.</p>
      <Errors errors={p.errors} />
      <form method="post" action="/account/delete">
        <CsrfField token={p.csrf} />
        <label for="password">Your password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit" class="danger">
            Delete my account after the waiting period
          </button>
        </p>
      </form>
    </Layout>
  );
}
