/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Mail pages: settings for the mail client, app passwords, aliases, deleting the account. Plain forms, no JavaScript;
// every text from the catalogues (i18n/*.ts), times and sizes in the reader's locale.
import { CsrfField, Layout } from '../views/layout.tsx';
import type { Common } from '../views/pages.tsx';
import type { I18n } from '../i18n/index.ts';
import type { MailboxesConfig } from './config.ts';
import type { AliasInfo, AppPasswordInfo } from './mail-accounts.ts';

/** A size in binary units with the reader's decimal separator ("1,5 GiB"); 0 is the catalogue's "unlimited". */
export function formatBytes(n: number, t: I18n): string {
  if (n === 0) return t.t('mailPages.unlimited');
  for (const [unit, size] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n >= size) return `${t.decimal(n / size)} ${unit}`;
  }
  return `${t.decimal(n)} B`;
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
export function MailSummary(p: { i18n: I18n; address: string; quotaBytes: number; webOnly: boolean; deleteAt: Date | null }) {
  const t = p.i18n;
  return (
    <section id="mail-summary">
      {p.deleteAt ? (
        <p class="alert" id="deletion-pending">
          {t.t('mailPages.deletionPending', { time: t.time(p.deleteAt) })} <a href="/account/delete">{t.t('mailPages.cancelDeletion')}</a>.
        </p>
      ) : null}
      <h2>{t.t('nav.mail')}</h2>
      <p>
        {t.t('mailPages.addressIs')} <strong id="mail-address">{p.address}</strong>. {t.t('mailPages.quota')}{' '}
        <span id="mail-quota">{formatBytes(p.quotaBytes, t)}</span>. <a href="/mail">{t.t('mailPages.settingsLink')}</a>
      </p>
    </section>
  );
}

function security(t: I18n, s: 'starttls' | 'tls' | 'none'): string {
  return s === 'tls' ? 'SSL/TLS' : s === 'starttls' ? 'STARTTLS' : t.t('mailPages.securityNone');
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
  const t = p.i18n;
  const c = p.config.clients;
  const host = c.host ?? p.config.domain;
  const rows: [string, { port: number; security: 'starttls' | 'tls' | 'none' }][] = [
    [t.t('mailPages.imap'), c.imap],
    [t.t('mailPages.pop3'), c.pop3],
    [t.t('mailPages.submission'), c.submission],
  ];
  return (
    <Layout title={t.t('mailPages.title')} {...p}>
      <p>
        {t.t('mailPages.address')} <strong id="mail-address">{p.address}</strong>. {t.t('mailPages.quota')} {formatBytes(p.quotaBytes, t)}.{' '}
        {t.t('mailPages.youHave')} <a href="/mail/aliases">{t.t('mailPages.aliasCount', { n: p.aliases })}</a> {t.t('mailPages.and')}{' '}
        <a href="/mail/app-passwords">{t.t('mailPages.appPasswordCount', { n: p.appPasswords })}</a>.
      </p>
      <h2>{t.t('mailPages.clientHeading')}</h2>
      <p>{t.t('mailPages.credentials', { address: p.address })}</p>
      <table id="client-settings">
        <thead>
          <tr>
            <th>{t.t('mailPages.service')}</th>
            <th>{t.t('mailPages.server')}</th>
            <th>{t.t('mailPages.port')}</th>
            <th>{t.t('mailPages.security')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, e]) => (
            <tr>
              <td>{name}</td>
              <td>{host}</td>
              <td>{String(e.port)}</td>
              <td>{security(t, e.security)}</td>
            </tr>
          ))}
          {c.managesieve ? (
            <tr>
              <td>{t.t('mailPages.managesieve')}</td>
              <td>{host}</td>
              <td>{String(c.managesieve.port)}</td>
              <td>STARTTLS</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {c.onion ? <p id="onion-host">{t.t('mailPages.onion', { host: c.onion })}</p> : null}
      <h2>{t.t('mailPages.webOnlyHeading')}</h2>
      <p id="web-only-state">{t.t(p.webOnly ? 'mailPages.webOnlyOn' : 'mailPages.webOnlyOff')}</p>
      <form method="post" action="/mail/web-only">
        <CsrfField token={p.csrf} />
        <input type="hidden" name="webOnly" value={p.webOnly ? '0' : '1'} />
        <button type="submit" class="secondary">
          {t.t(p.webOnly ? 'mailPages.webOnlyDisable' : 'mailPages.webOnlyEnable')}
        </button>
      </form>
      <p class="hint">{t.t('mailPages.webOnlyHint')}</p>
      <h2>{t.t('mailPages.leavingHeading')}</h2>
      <p>
        <a href="/account/delete">{t.t('mailPages.deleteLink')}</a>
      </p>
    </Layout>
  );
}

export function AppPasswordsPage(
  p: Common & { csrf: string; list: AppPasswordInfo[]; max: number; created?: { name: string; secret: string }; errors?: string[] },
) {
  const t = p.i18n;
  return (
    <Layout title={t.t('appPasswords.title')} {...p}>
      {p.created ? (
        <section class="alert" id="new-app-password">
          <h2>{t.t('appPasswords.newHeading', { name: p.created.name })}</h2>
          <p class="code" id="app-password">
            {p.created.secret}
          </p>
          <p>{t.t('appPasswords.once')}</p>
        </section>
      ) : null}
      <p>{t.t('appPasswords.intro')}</p>
      <Errors errors={p.errors} />
      {p.list.length === 0 ? (
        <p id="no-app-passwords">{t.t('appPasswords.none')}</p>
      ) : (
        <table id="app-passwords">
          <thead>
            <tr>
              <th>{t.t('appPasswords.device')}</th>
              <th>{t.t('appPasswords.created')}</th>
              <th>{t.t('appPasswords.lastUsed')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.list.map((a) => (
              <tr>
                <td>{a.name}</td>
                <td>{t.time(a.createdAt)}</td>
                <td>{a.lastUsedAt ? t.time(a.lastUsedAt) : t.t('appPasswords.never')}</td>
                <td>
                  <form method="post" action="/mail/app-passwords/revoke" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="id" value={a.id} />
                    <button type="submit" class="secondary" aria-label={t.t('appPasswords.revokeLabel', { name: a.name })}>
                      {t.t('appPasswords.revoke')}
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
          <label for="device">{t.t('appPasswords.deviceName')}</label>
          <input type="text" id="device" name="name" maxlength={64} required />
          <p>
            <button type="submit">{t.t('appPasswords.create')}</button>
          </p>
        </form>
      ) : (
        <p>{t.t('appPasswords.max', { max: p.max })}</p>
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
  const t = p.i18n;
  const domainField = (id: string) =>
    p.domains.length > 1 ? (
      <>
        <label for={id}>{t.t('aliases.domain')}</label>
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
    <Layout title={t.t('aliases.title')} {...p}>
      {p.created ? (
        <p class="notice ok" id="alias-created">
          {t.t('aliases.created', { address: p.created })}
        </p>
      ) : null}
      <p>{t.t('aliases.intro', { days: p.coolDownDays })}</p>
      <Errors errors={p.errors} />
      {p.list.length === 0 ? (
        <p id="no-aliases">{t.t('aliases.none')}</p>
      ) : (
        <table id="aliases">
          <thead>
            <tr>
              <th>{t.t('aliases.address')}</th>
              <th>{t.t('aliases.note')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.list.map((a) => (
              <tr>
                <td>{a.address}</td>
                <td>{a.note ?? ''}</td>
                <td>
                  <form method="post" action="/mail/aliases/delete" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="address" value={a.address} />
                    <button type="submit" class="secondary" aria-label={t.t('aliases.deleteLabel', { address: a.address })}>
                      {t.t('aliases.delete')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t.t('aliases.chooseHeading')}</h2>
      {p.customLeft > 0 ? (
        <form method="post" action="/mail/aliases">
          <CsrfField token={p.csrf} />
          <label for="local">{t.t('aliases.local')}</label>
          <input type="text" id="local" name="local" autocomplete="off" autocapitalize="none" spellcheck={false} required />
          {domainField('custom-domain')}
          <p class="hint">{t.t('aliases.left', { n: p.customLeft })}</p>
          <p>
            <button type="submit">{t.t('aliases.add')}</button>
          </p>
        </form>
      ) : (
        <p>{t.t('aliases.customMax')}</p>
      )}
      <h2>{t.t('aliases.randomHeading')}</h2>
      {p.randomLeft > 0 ? (
        <form method="post" action="/mail/aliases/random">
          <CsrfField token={p.csrf} />
          <label for="note">{t.t('aliases.noteLabel')}</label>
          <input type="text" id="note" name="note" maxlength={200} />
          {domainField('random-domain')}
          <p>
            <button type="submit">{t.t('aliases.makeRandom')}</button>
          </p>
        </form>
      ) : (
        <p>{t.t('aliases.randomMax')}</p>
      )}
    </Layout>
  );
}

export function DeleteAccountPage(p: Common & { csrf: string; deleteAt: Date | null; waitSeconds: number; errors?: string[] }) {
  const t = p.i18n;
  if (p.deleteAt) {
    return (
      <Layout title={t.t('deleteAccount.title')} {...p}>
        <p class="alert" id="deletion-pending">
          {t.t('deleteAccount.pending', { time: t.time(p.deleteAt) })}
        </p>
        <form method="post" action="/account/delete/cancel">
          <CsrfField token={p.csrf} />
          <button type="submit">{t.t('deleteAccount.keep')}</button>
        </form>
      </Layout>
    );
  }
  return (
    <Layout title={t.t('deleteAccount.title')} {...p}>
      <p>{t.t('deleteAccount.explain', { wait: t.duration(p.waitSeconds) })}</p>
      <p>{t.t('deleteAccount.cancelHint')}</p>
      <Errors errors={p.errors} />
      <form method="post" action="/account/delete">
        <CsrfField token={p.csrf} />
        <label for="password">{t.t('deleteAccount.password')}</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit" class="danger">
            {t.t('deleteAccount.submit')}
          </button>
        </p>
      </form>
    </Layout>
  );
}
