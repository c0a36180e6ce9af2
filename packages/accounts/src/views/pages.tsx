/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
import type { Child } from 'hono/jsx';
import type { I18n, MessageKey } from '../i18n/index.ts';
import { CsrfField, Layout } from './layout.tsx';
import type { ActivityList } from '../audit.ts';
import { activityDetail } from './activity-detail.ts';

export interface Common {
  siteName: string;
  user?: { username: string; csrf: string; mail?: boolean; address?: string | undefined } | undefined;
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
  i18n: I18n;
  path: string;
}

/** UTC to the minute; kept for pages not yet on the catalogues (mail/pages.tsx) — the others use Common's i18n.time. */
export function formatTime(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}

// Focused when the page loads (autofocus on a tabindex=-1 element works without JavaScript), so a keyboard or screen
// reader user lands on what went wrong.
function Errors({ errors }: { errors?: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <ul class="errors" role="alert" tabindex={-1} autofocus>
      {errors.map((e) => (
        <li>{e}</li>
      ))}
    </ul>
  );
}

export function LoginPage(p: Common & { csrf: string; username?: string; error?: string }) {
  return (
    <Layout title={p.i18n.t('login.title')} {...p} notice={p.error ? { kind: 'error', text: p.error } : p.notice}>
      <form method="post" action="/login">
        <CsrfField token={p.csrf} />
        <UsernameField i18n={p.i18n} label="form.username" value={p.username} />
        <label for="password">{p.i18n.t('form.password')}</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <p>
          <button type="submit">{p.i18n.t('login.submit')}</button>
        </p>
      </form>
      <p>
        {p.i18n.t('login.noAccount')} <a href="/signup">{p.i18n.t('login.signupLink')}</a>. {p.i18n.t('login.lost')}{' '}
        <a href="/forgot">{p.i18n.t('login.forgotLink')}</a>.
      </p>
    </Layout>
  );
}

/** What the sign-up form found wrong, per field (all fields are checked in one pass). */
export interface SignupErrors {
  code?: string | undefined;
  username?: string | undefined;
  password?: string[] | undefined;
  password2?: string | undefined;
}

/**
 * The browser-side username check: what trust's normalizeUsername accepts, plus upper case and surrounding spaces, which
 * the server turns into the name and shows back for confirmation (so the browser does not refuse "Dave"). The HTML
 * pattern attribute is compiled with the v flag, where '-' in a class must be escaped.
 */
export const USERNAME_PATTERN = String.raw`\s*[A-Za-z0-9](?:[A-Za-z0-9._\-]{0,62}[A-Za-z0-9])?\s*`;

/** Focused on load like Errors, with a heading and a link to each field in question. */
function ErrorSummary({ i18n, items }: { i18n: I18n; items: { field: string; text: string }[] }) {
  if (items.length === 0) return null;
  return (
    <section class="errors" id="error-summary" tabindex={-1} autofocus aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">{i18n.t('form.errorSummary', { n: items.length })}</h2>
      <ul>
        {items.map((i) => (
          <li>
            <a href={`#${i.field}`}>{i.text}</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** aria-invalid and aria-describedby for a field: its error (when there is one) first, then its hint. */
function described(id: string, error: unknown, hint: boolean) {
  const ids = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return { ...(error ? { 'aria-invalid': 'true' } : {}), ...(ids ? { 'aria-describedby': ids } : {}) };
}

function FieldError({ id, text }: { id: string; text: string | string[] | undefined }) {
  if (!text || text.length === 0) return null;
  return (
    <p class="field-error" id={`${id}-error`}>
      {Array.isArray(text) ? text.join(' ') : text}
    </p>
  );
}

/** A form field's label, its error (`${id}-error`), the input given as children and its hint (`${id}-hint`), the ids `described` points at. */
function Field(p: { id: string; label: string; error: string | string[] | undefined; hint?: string; children: Child }) {
  return (
    <>
      <label for={p.id}>{p.label}</label>
      <FieldError id={p.id} text={p.error} />
      {p.children}
      {p.hint ? (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      ) : null}
    </>
  );
}

export function SignupPage(p: Common & { csrf: string; code?: string; username?: string; errors?: SignupErrors; maxPassword: number }) {
  const { i18n } = p;
  const e = p.errors ?? {};
  const summary = [
    ...(e.code ? [{ field: 'code', text: e.code }] : []),
    ...(e.username ? [{ field: 'username', text: e.username }] : []),
    ...(e.password ?? []).map((text) => ({ field: 'password', text })),
    ...(e.password2 ? [{ field: 'password2', text: e.password2 }] : []),
  ];
  return (
    <Layout title={i18n.t('signup.title')} {...p}>
      <p>{i18n.t('signup.intro')}</p>
      <ErrorSummary i18n={i18n} items={summary} />
      <form method="post" action="/signup">
        <CsrfField token={p.csrf} />
        <Field id="code" label={i18n.t('signup.code')} error={e.code} hint={i18n.t('signup.codeHint')}>
          <input
            type="text"
            id="code"
            name="code"
            value={p.code ?? ''}
            maxlength={64}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            required
            {...described('code', e.code, true)}
          />
        </Field>
        <Field id="username" label={i18n.t('form.username')} error={e.username} hint={i18n.t('signup.usernameHint')}>
          <input
            type="text"
            id="username"
            name="username"
            value={p.username ?? ''}
            maxlength={64}
            pattern={USERNAME_PATTERN}
            title={i18n.t('signup.usernameHint')}
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            {...described('username', e.username, true)}
          />
        </Field>
        <Field id="password" label={i18n.t('form.password')} error={e.password} hint={i18n.t('form.passwordHint')}>
          <input
            type="password"
            id="password"
            name="password"
            maxlength={p.maxPassword}
            autocomplete="new-password"
            required
            {...described('password', e.password?.length, true)}
          />
        </Field>
        <Field id="password2" label={i18n.t('signup.password2')} error={e.password2}>
          <input
            type="password"
            id="password2"
            name="password2"
            maxlength={p.maxPassword}
            autocomplete="new-password"
            required
            {...described('password2', e.password2, false)}
          />
        </Field>
        <p>
          <button type="submit">{i18n.t('signup.submit')}</button>
        </p>
      </form>
    </Layout>
  );
}

export interface PendingResetView {
  confirmations: number;
  k: number;
  /** When the reset code becomes available (null while fewer than k trustees have confirmed). */
  effectiveAt: Date | null;
}

export function DashboardPage(
  p: Common & {
    csrf: string;
    pending: PendingResetView | null;
    trustedCount: number;
    k: number;
    waitSeconds: number;
    strength?: 'fair' | undefined;
    /** Mail accounts only: the address and quota line (mail/pages.tsx MailSummary). */
    mail?: Child;
    recovery: RecoveryPathsView;
    /** Set until the owner has read it: the last reset and what it did (shown from the first login after it). */
    afterReset?: AfterResetView | undefined;
  },
) {
  const { i18n } = p;
  return (
    <Layout title={i18n.t('dashboard.title')} {...p}>
      {p.afterReset ? <AfterReset {...p.afterReset} i18n={i18n} csrf={p.csrf} /> : null}
      {p.mail ?? null}
      {p.pending ? (
        <section class="alert" id="pending-reset" role="alert">
          <h2>{i18n.t('dashboard.pendingTitle')}</h2>
          <p>
            {i18n.t('dashboard.pendingCount', { confirmations: p.pending.confirmations, k: p.pending.k })}{' '}
            {p.pending.effectiveAt
              ? i18n.t('dashboard.pendingFrom', { time: i18n.time(p.pending.effectiveAt), relative: i18n.relative(p.pending.effectiveAt) })
              : i18n.t('dashboard.pendingNoCode')}
          </p>
          <p>{i18n.t('dashboard.pendingStop')}</p>
          <form method="post" action="/reset/veto">
            <CsrfField token={p.csrf} />
            <button type="submit" class="danger">
              {i18n.t('dashboard.veto')}
            </button>
          </form>
        </section>
      ) : (
        <p class="notice ok">{i18n.t('dashboard.noPending')}</p>
      )}
      {p.strength ? (
        <p class="hint strength-fair" id="password-strength">
          {i18n.t('dashboard.fairPassword')}
        </p>
      ) : null}
      <h2>{i18n.t('dashboard.trustHeading')}</h2>
      <p>
        {i18n.t('dashboard.trustSummary', { count: p.trustedCount, k: p.k, wait: i18n.duration(p.waitSeconds) })}{' '}
        <a href="/trust">{i18n.t('dashboard.manageTrust')}</a>.
      </p>
      {p.k > p.trustedCount ? (
        <p class="notice error" id="too-few">
          {i18n.t('dashboard.tooFew')} {i18n.t(p.trustedCount === 0 ? 'dashboard.tooFewNobody' : 'dashboard.tooFewSome')}
        </p>
      ) : null}
      <RecoveryPaths {...p.recovery} i18n={i18n} />
    </Layout>
  );
}

/** What protects the account (and, with mail accounts, the stored mail) against a lost password. */
export interface RecoveryPathsView {
  /** k of n: the user's trusted users can restore (n ≥ k and a mail key to split); null when they cannot. */
  trustees: { k: number; n: number } | null;
  recoveryCode: boolean;
  /**
   * Mail accounts only: the recovery code was made before this reset, which lost the mail key — the code holds the
   * older key, so it still opens the account and the mail stored before then, not the current mail.
   */
  codeOlderThan?: Date | undefined;
  /** Mail accounts are on: the section speaks of the stored mail, and the mail code. */
  mail: boolean;
}

function RecoveryPaths(p: RecoveryPathsView & { i18n: I18n }) {
  const { i18n } = p;
  const paths: string[] = [];
  if (p.trustees) paths.push(i18n.t('recovery.pathTrustees', { k: p.trustees.k, n: p.trustees.n }));
  const stale = p.mail && p.recoveryCode ? p.codeOlderThan : undefined;
  if (p.recoveryCode && !stale) paths.push(i18n.t('recovery.pathCode'));
  const staleNote = stale ? <p id="stale-recovery-code">{i18n.t('recovery.staleCode', { time: i18n.time(stale) })}</p> : null;
  return (
    <section id="recovery-paths">
      <h2>{i18n.t(p.mail ? 'recovery.headingMail' : 'recovery.heading')}</h2>
      {paths.length ? (
        <>
          <p>{i18n.t(p.mail ? 'recovery.protectedMail' : 'recovery.protected')}</p>
          <ul>
            {paths.map((x) => (
              <li>{x}</li>
            ))}
          </ul>
          {staleNote}
        </>
      ) : (
        <div class="notice error" id="no-recovery-path" role="alert">
          <p>
            <strong>{i18n.t(stale ? 'recovery.noneMailStale' : p.mail ? 'recovery.noneMail' : 'recovery.none')}</strong>
          </p>
          {staleNote}
          <p>{i18n.t('recovery.whatToDo')}</p>
        </div>
      )}
      <p>
        <a href="/recovery-code">{i18n.t(p.recoveryCode ? 'recovery.replaceLink' : 'recovery.createLink')}</a>
      </p>
    </section>
  );
}

export interface AfterResetView {
  at: Date;
  via: 'trustees' | 'recovery-code';
  /** Mail accounts only: whether the old mail key came back. */
  mailRestored?: boolean | undefined;
  /** The trusted user who handed over the code, trusted again by the reset (format 5). */
  reAdded?: string | undefined;
}

function AfterReset(p: AfterResetView & { i18n: I18n; csrf: string }) {
  const { i18n } = p;
  return (
    <section class="alert" id="after-reset" role="status">
      <h2>{i18n.t('afterReset.title', { time: i18n.time(p.at) })}</h2>
      <p>{i18n.t(p.via === 'recovery-code' ? 'afterReset.viaCode' : 'afterReset.viaTrustees')}</p>
      {p.mailRestored === true ? <p id="after-reset-mail">{i18n.t('afterReset.mailRestored')}</p> : null}
      {p.mailRestored === false ? (
        <p id="after-reset-mail">{i18n.t(p.via === 'recovery-code' ? 'afterReset.mailOlder' : 'afterReset.mailLost')}</p>
      ) : null}
      <p id="after-reset-trust">{p.reAdded ? i18n.t('afterReset.reAdded', { username: p.reAdded }) : i18n.t('afterReset.trust')}</p>
      <form method="post" action="/dashboard/reset-read">
        <CsrfField token={p.csrf} />
        <a href="/trust">{i18n.t('afterReset.trustLink')}</a>{' '}
        <button type="submit" class="secondary">
          {i18n.t('afterReset.read')}
        </button>
      </form>
    </section>
  );
}

export function TrustPage(
  p: Common & {
    csrf: string;
    trusted: { userId: string; username: string }[];
    slots: number;
    k: number;
    waitSeconds: number;
    minWaitSeconds: number;
    errors?: string[] | undefined;
    /** A refused rules form: its errors by field, and what was typed (shown again). */
    rules?: { k: string; days: string; hours: string; kError?: string | undefined; waitError?: string | undefined } | undefined;
  },
) {
  const free = p.slots - p.trusted.length;
  const { i18n } = p;
  return (
    <Layout title={i18n.t('trust.title')} {...p}>
      <p>{i18n.t('trust.intro')}</p>
      <Errors errors={p.errors} />
      {p.trusted.length === 0 ? (
        <p id="no-trusted">{i18n.t('trust.none')}</p>
      ) : (
        <table id="trusted">
          <thead>
            <tr>
              <th>{i18n.t('trust.user')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.trusted.map((t) => (
              <tr>
                <td>{t.username}</td>
                <td>
                  <form method="post" action="/trust/remove" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="trustee" value={t.userId} />
                    <button type="submit" class="secondary" aria-label={i18n.t('trust.removeLabel', { username: t.username })}>
                      {i18n.t('trust.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{i18n.t('trust.addHeading')}</h2>
      {free > 0 ? (
        <form method="post" action="/trust/add">
          <CsrfField token={p.csrf} />
          <label for="add-username">{i18n.t('form.username')}</label>
          <input type="text" id="add-username" name="username" autocomplete="off" autocapitalize="none" spellcheck={false} required />
          <p class="hint">{i18n.t('trust.free', { free, slots: p.slots })}</p>
          <p>
            <button type="submit">{i18n.t('trust.add')}</button>
          </p>
        </form>
      ) : (
        <p>{i18n.t('trust.full', { slots: p.slots })}</p>
      )}
      <h2>{i18n.t('trust.rulesHeading')}</h2>
      {p.k > p.trusted.length ? (
        <p class="notice error" id="k-warning">
          {i18n.t('trust.kWarning', { k: p.k, count: p.trusted.length })}{' '}
          {i18n.t(p.trusted.length === 0 ? 'dashboard.tooFewNobody' : 'dashboard.tooFewSome')}
        </p>
      ) : null}
      <form method="post" action="/trust/settings" novalidate>
        <CsrfField token={p.csrf} />
        <label for="k">{i18n.t('trust.kLabel')}</label>
        <input
          type="number"
          id="k"
          name="k"
          min="1"
          max={String(Math.max(1, Math.min(p.slots, p.trusted.length)))}
          value={p.rules?.k ?? String(p.k)}
          required
          {...(p.rules?.kError ? { 'aria-invalid': 'true', 'aria-describedby': 'k-error' } : { 'aria-describedby': 'k-hint' })}
        />
        {p.rules?.kError ? (
          <p class="field-error" id="k-error">
            {p.rules.kError}
          </p>
        ) : (
          <p class="hint" id="k-hint">
            {i18n.t('trust.kHint', { count: p.trusted.length })}
          </p>
        )}
        <fieldset aria-describedby={p.rules?.waitError ? 'wait-error' : 'wait-hint'}>
          <legend>{i18n.t('trust.waitLabel')}</legend>
          <span class="duration">
            <span>
              <label for="wait-days">{i18n.t('trust.waitDays')}</label>
              <input
                type="number"
                id="wait-days"
                name="waitDays"
                min="0"
                max="365"
                value={p.rules?.days ?? String(Math.floor(p.waitSeconds / 86400))}
                {...(p.rules?.waitError ? { 'aria-invalid': 'true' } : {})}
              />
            </span>
            <span>
              <label for="wait-hours">{i18n.t('trust.waitHours')}</label>
              <input
                type="number"
                id="wait-hours"
                name="waitHours"
                min="0"
                max="23"
                value={p.rules?.hours ?? String(Math.floor((p.waitSeconds % 86400) / 3600))}
                {...(p.rules?.waitError ? { 'aria-invalid': 'true' } : {})}
              />
            </span>
          </span>
          {p.rules?.waitError ? (
            <p class="field-error" id="wait-error">
              {p.rules.waitError}
            </p>
          ) : (
            <p class="hint" id="wait-hint">
              {i18n.t('trust.waitHint', { wait: i18n.duration(p.waitSeconds), min: i18n.duration(p.minWaitSeconds) })}
            </p>
          )}
        </fieldset>
        <p>
          <button type="submit">{i18n.t('trust.save')}</button>
        </p>
      </form>
    </Layout>
  );
}

/** The one-time view after creating an invite: the code and its sign-up link, or (on a reload) that it was shown. */
export type NewInviteView = { code: string; link: string } | { gone: true };

export function InvitesPage(
  p: Common & {
    csrf: string;
    invites: { id: string; createdAt: Date; expiresAt: Date; note?: string }[];
    /** Used invites from the inviter's sealed log: never who used them. */
    used?: { invites: { createdAt: Date; usedAt: Date; note?: string }[]; unreadable: number } | undefined;
    quotaLeft: number;
    newInvite?: NewInviteView | undefined;
  },
) {
  const { i18n } = p;
  const fresh = p.newInvite;
  const used = p.used ?? { invites: [], unreadable: 0 };
  return (
    <Layout title={i18n.t('invites.title')} {...p}>
      {fresh && 'code' in fresh ? (
        <section class="alert" id="new-invite">
          <h2>{i18n.t('invites.newHeading')}</h2>
          <p class="code" id="invite-code">
            {fresh.code}
          </p>
          <p>{i18n.t('invites.newOnce')}</p>
          <h3>{i18n.t('invites.link')}</h3>
          <p class="link-text">
            <code id="invite-link">{fresh.link}</code>
          </p>
          <p class="hint">{i18n.t('invites.linkHint')}</p>
        </section>
      ) : null}
      {fresh && 'gone' in fresh ? (
        <p class="notice ok" id="invite-shown">
          {i18n.t('invites.gone')}
        </p>
      ) : null}
      <p>{i18n.t('invites.left', { n: p.quotaLeft })}</p>
      {p.quotaLeft > 0 ? (
        <form method="post" action="/invites">
          <CsrfField token={p.csrf} />
          <label for="note">{i18n.t('invites.noteLabel')}</label>
          <input type="text" id="note" name="note" maxlength={60} autocomplete="off" aria-describedby="note-hint" />
          <p class="hint" id="note-hint">
            {i18n.t('invites.noteHint')}
          </p>
          <p>
            <button type="submit">{i18n.t('invites.create')}</button>
          </p>
        </form>
      ) : null}
      <h2>{i18n.t('invites.unused')}</h2>
      {p.invites.length === 0 ? (
        <p id="no-invites">{i18n.t('invites.none')}</p>
      ) : (
        <table id="invites" class="stack">
          <thead>
            <tr>
              <th>{i18n.t('invites.note')}</th>
              <th>{i18n.t('invites.created')}</th>
              <th>{i18n.t('invites.expires')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {p.invites.map((i) => (
              <tr>
                <td data-label={i18n.t('invites.note')}>{i.note ?? ''}</td>
                <td data-label={i18n.t('invites.created')}>{i18n.time(i.createdAt)}</td>
                <td data-label={i18n.t('invites.expires')}>{i18n.time(i.expiresAt)}</td>
                <td>
                  <form method="post" action="/invites/revoke" class="inline">
                    <CsrfField token={p.csrf} />
                    <input type="hidden" name="id" value={i.id} />
                    <button type="submit" class="secondary">
                      {i18n.t('invites.revoke')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{i18n.t('invites.used')}</h2>
      <p class="hint">{i18n.t('invites.usedIntro')}</p>
      {used.invites.length === 0 && used.unreadable === 0 ? <p id="no-used-invites">{i18n.t('invites.none')}</p> : null}
      {used.invites.length > 0 ? (
        <table id="used-invites" class="stack">
          <thead>
            <tr>
              <th>{i18n.t('invites.note')}</th>
              <th>{i18n.t('invites.created')}</th>
              <th>{i18n.t('invites.usedAt')}</th>
            </tr>
          </thead>
          <tbody>
            {used.invites.map((u) => (
              <tr>
                <td data-label={i18n.t('invites.note')}>{u.note ?? ''}</td>
                <td data-label={i18n.t('invites.created')}>{i18n.time(u.createdAt)}</td>
                <td data-label={i18n.t('invites.usedAt')}>{i18n.time(u.usedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {used.unreadable > 0 ? (
        <p class="hint" id="used-unreadable">
          {i18n.t('invites.usedUnreadable', { n: used.unreadable })}
        </p>
      ) : null}
    </Layout>
  );
}

export type HelpResetResult =
  | { kind: 'generic'; username: string }
  /** Only for a genuine trustee: the owner cancelled, and new requests are ignored until `until`. */
  | { kind: 'vetoed'; username: string; until: Date | null }
  | { kind: 'recorded'; username: string; confirmations: number; k: number; effectiveAt: Date | null; mailCode?: string | undefined }
  | { kind: 'code'; code: string; expiresAt: Date; username: string; mailCode?: string | undefined };

/** The mail code, for the trustee whose request started the reset: shown once, to hand over with the reset code. */
function MailCode(p: { i18n: I18n; code: string; username: string }) {
  return (
    <section class="alert" id="mail-code-section">
      <h2>{p.i18n.t('help.mailCodeTitle', { username: p.username })}</h2>
      <p class="code" id="mail-code">
        {p.code}
      </p>
      <p>{p.i18n.t('help.mailCodeKeep', { username: p.username })}</p>
    </section>
  );
}

export function HelpResetPage(
  p: Common & {
    csrf: string;
    result?: HelpResetResult | undefined;
    error?: string | undefined;
    /** What was typed, shown again after a wrong password. */
    target?: string | undefined;
    /** Mail accounts are on: the handover includes the mail code. */
    mail?: boolean | undefined;
  },
) {
  const r = p.result;
  const { i18n } = p;
  if (r?.kind === 'code') {
    return (
      <Layout title={i18n.t('help.codeTitle')} {...p}>
        <section class="alert" id="reset-code-warning">
          <h2>{i18n.t('help.codeWarningTitle', { username: r.username })}</h2>
          <p>{i18n.t('help.codeWarning', { username: r.username })}</p>
        </section>
        <h2>{i18n.t('help.resetCodeHeading')}</h2>
        <p class="code" id="reset-code">
          {r.code}
        </p>
        <p>{i18n.t('help.codeOnce', { time: i18n.time(r.expiresAt) })}</p>
        {p.mail && r.mailCode ? <MailCode i18n={i18n} code={r.mailCode} username={r.username} /> : null}
        {p.mail && !r.mailCode ? (
          <p class="notice ok" id="mail-code-reminder">
            {i18n.t('help.mailCodeReminder', { username: r.username })}
          </p>
        ) : null}
      </Layout>
    );
  }
  return (
    <Layout title={i18n.t('help.title')} {...p} notice={p.error ? { kind: 'error', text: p.error } : p.notice}>
      {r?.kind === 'generic' ? (
        <p class="notice ok" id="help-result" role="status">
          {i18n.t('help.generic', { username: r.username })}
        </p>
      ) : null}
      {r?.kind === 'vetoed' ? (
        <p class="notice error" id="help-result" role="status">
          {i18n.t('help.vetoed', { username: r.username })}{' '}
          {r.until ? i18n.t('help.vetoedUntil', { time: i18n.time(r.until), relative: i18n.relative(r.until) }) : null}
        </p>
      ) : null}
      {r?.kind === 'recorded' ? (
        <p class="notice ok" id="help-result" role="status">
          {i18n.t('help.recorded', { username: r.username, confirmations: r.confirmations, k: r.k })}{' '}
          {r.effectiveAt
            ? i18n.t('help.recordedFrom', { time: i18n.time(r.effectiveAt), relative: i18n.relative(r.effectiveAt) })
            : i18n.t('help.recordedWait')}
        </p>
      ) : null}
      {p.mail && r?.kind === 'recorded' && r.mailCode ? <MailCode i18n={i18n} code={r.mailCode} username={r.username} /> : null}
      <p>{i18n.t('help.intro')}</p>
      <form method="post" action="/help-reset">
        <CsrfField token={p.csrf} />
        <label for="target">{i18n.t('help.target')}</label>
        <input
          type="text"
          id="target"
          name="username"
          value={p.target ?? ''}
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          required
        />
        <label for="own-password">{i18n.t('help.ownPassword')}</label>
        <input
          type="password"
          id="own-password"
          name="password"
          autocomplete="current-password"
          required
          {...(p.error ? { 'aria-invalid': 'true', autofocus: true } : {})}
        />
        <p>
          <button type="submit">{i18n.t('help.submit')}</button>
        </p>
      </form>
    </Layout>
  );
}

/** The username field of the forms that name an existing account (sign-in, reset, recovery code). */
function UsernameField(p: { i18n: I18n; label: MessageKey; value: string | undefined }) {
  return (
    <>
      <label for="username">{p.i18n.t(p.label)}</label>
      <input
        type="text"
        id="username"
        name="username"
        value={p.value ?? ''}
        autocomplete="username"
        autocapitalize="none"
        spellcheck={false}
        required
      />
    </>
  );
}

/** A new password typed twice, with the rule under the first field. */
function NewPasswordFields(p: { i18n: I18n }) {
  return (
    <>
      <label for="password">{p.i18n.t('forgot.newPassword')}</label>
      <input type="password" id="password" name="password" autocomplete="new-password" required />
      <p class="hint">{p.i18n.t('form.passwordHint')}</p>
      <label for="password2">{p.i18n.t('forgot.newPassword2')}</label>
      <input type="password" id="password2" name="password2" autocomplete="new-password" required />
    </>
  );
}

export function ForgotPage(p: Common & { csrf: string; username?: string; errors?: string[] | undefined; mail?: boolean | undefined }) {
  return (
    <Layout title={p.i18n.t('forgot.title')} {...p}>
      <p>{p.i18n.t('forgot.intro')}</p>
      {p.mail ? <p>{p.i18n.t('forgot.introMail')}</p> : null}
      <Errors errors={p.errors} />
      <form method="post" action="/forgot">
        <CsrfField token={p.csrf} />
        <UsernameField i18n={p.i18n} label="forgot.username" value={p.username} />
        <label for="code">{p.i18n.t('forgot.code')}</label>
        <input type="text" id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck={false} required />
        {p.mail ? (
          <>
            <label for="mail-code">{p.i18n.t('forgot.mailCode')}</label>
            <input
              type="text"
              id="mail-code"
              name="mailCode"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              aria-describedby="mail-code-hint"
            />
            <p class="hint" id="mail-code-hint">
              {p.i18n.t('forgot.mailCodeHint')}
            </p>
          </>
        ) : null}
        <NewPasswordFields i18n={p.i18n} />
        <p>
          <button type="submit">{p.i18n.t('forgot.submit')}</button>
        </p>
      </form>
      <p>
        {p.i18n.t('forgot.haveRecoveryCode')} <a href="/recover">{p.i18n.t('forgot.recoverLink')}</a>.
      </p>
    </Layout>
  );
}

export function ForgotDonePage(
  p: Common & { mailReset?: boolean; mailKey?: 'restored' | 'lost' | 'older' | undefined; reAdded?: boolean },
) {
  return (
    <Layout title={p.i18n.t('forgot.doneTitle')} {...p}>
      {p.mailKey === 'restored' ? (
        <p class="notice ok" id="mail-restored">
          {p.i18n.t('afterReset.mailRestored')}
        </p>
      ) : null}
      {p.mailKey === 'lost' || p.mailKey === 'older' ? (
        <p class="notice error" id="mail-lost">
          {p.i18n.t(p.mailKey === 'older' ? 'afterReset.mailOlder' : 'afterReset.mailLost')}
        </p>
      ) : null}
      <p class="alert" id="re-add-prompt">
        {p.i18n.t(p.reAdded ? 'forgot.reAddCodeGiver' : 'forgot.reAdd')}
      </p>
      {p.mailReset ? (
        <p class="alert" id="app-passwords-revoked">
          {p.i18n.t('forgot.appPasswordsRevoked')}
        </p>
      ) : null}
      <p>
        <a href="/login">{p.i18n.t('forgot.login')}</a>
      </p>
    </Layout>
  );
}

/** Creating a recovery code (logged in, with the password): the form, or the new code shown once to print. */
export function RecoveryCodePage(
  p: Common & {
    csrf: string;
    nonce: string;
    has: boolean;
    mail: boolean;
    code?: string | undefined;
    error?: string | undefined;
    username: string;
  },
) {
  const { i18n } = p;
  if (p.code) {
    return (
      <Layout title={i18n.t('recoveryCode.newTitle')} {...p}>
        <section class="printable" id="recovery-sheet">
          <h2>{i18n.t('recoveryCode.sheetTitle', { site: p.siteName })}</h2>
          <p>{i18n.t('recoveryCode.sheetUser', { username: p.username })}</p>
          <p class="code" id="recovery-code">
            {p.code}
          </p>
          <p>{i18n.t('recoveryCode.sheetUse')}</p>
        </section>
        <p class="alert no-print" id="recovery-once">
          {i18n.t('recoveryCode.once')}
        </p>
        <p class="no-print">
          <a href="/dashboard">{i18n.t('recoveryCode.back')}</a>
        </p>
      </Layout>
    );
  }
  return (
    <Layout title={i18n.t('recoveryCode.title')} {...p} notice={p.error ? { kind: 'error', text: p.error } : p.notice}>
      <p>{i18n.t(p.mail ? 'recoveryCode.introMail' : 'recoveryCode.intro')}</p>
      {p.has ? (
        <p class="notice ok" id="recovery-exists">
          {i18n.t('recoveryCode.exists')}
        </p>
      ) : null}
      <form method="post" action="/recovery-code">
        <CsrfField token={p.csrf} />
        <input type="hidden" name="nonce" value={p.nonce} />
        <label for="own-password">{i18n.t('help.ownPassword')}</label>
        <input
          type="password"
          id="own-password"
          name="password"
          autocomplete="current-password"
          required
          {...(p.error ? { 'aria-invalid': 'true', autofocus: true } : {})}
        />
        <p>
          <button type="submit">{i18n.t(p.has ? 'recoveryCode.replace' : 'recoveryCode.create')}</button>
        </p>
      </form>
    </Layout>
  );
}

/** Public: redeeming a recovery code (username, code, new password). */
export function RecoverPage(p: Common & { csrf: string; username?: string; errors?: string[] | undefined }) {
  return (
    <Layout title={p.i18n.t('recover.title')} {...p}>
      <p>{p.i18n.t('recover.intro')}</p>
      <Errors errors={p.errors} />
      <form method="post" action="/recover">
        <CsrfField token={p.csrf} />
        <UsernameField i18n={p.i18n} label="forgot.username" value={p.username} />
        <label for="code">{p.i18n.t('recover.code')}</label>
        <input type="text" id="code" name="code" autocomplete="off" autocapitalize="none" spellcheck={false} required />
        <NewPasswordFields i18n={p.i18n} />
        <p>
          <button type="submit">{p.i18n.t('forgot.submit')}</button>
        </p>
      </form>
    </Layout>
  );
}

export function PasswordPage(p: Common & { csrf: string; errors?: string[] | undefined }) {
  return (
    <Layout title={p.i18n.t('password.title')} {...p}>
      <p>{p.i18n.t('password.intro')}</p>
      <Errors errors={p.errors} />
      <form method="post" action="/password">
        <CsrfField token={p.csrf} />
        <label for="old">{p.i18n.t('password.current')}</label>
        <input type="password" id="old" name="old" autocomplete="current-password" required />
        <NewPasswordFields i18n={p.i18n} />
        <p>
          <button type="submit">{p.i18n.t('password.title')}</button>
        </p>
      </form>
    </Layout>
  );
}

/** The audit kinds the activity list names (audit.ts); an unknown kind is shown as it is stored. */
const EVENT_KEYS = {
  login: 'event.login',
  login_failed: 'event.login_failed',
  signup: 'event.signup',
  password_changed: 'event.password_changed',
  reset_confirmation: 'event.reset_confirmation',
  reset_pending: 'event.reset_pending',
  reset_vetoed: 'event.reset_vetoed',
  reset_completed: 'event.reset_completed',
  code_issued: 'event.code_issued',
  recovery_code_created: 'event.recovery_code_created',
  recovery_code_used: 'event.recovery_code_used',
  reset_mail_restored: 'event.reset_mail_restored',
  reset_mail_lost: 'event.reset_mail_lost',
  k_changed: 'event.k_changed',
  wait_changed: 'event.wait_changed',
  sessions_logged_out: 'event.sessions_logged_out',
  app_password_created: 'event.app_password_created',
  web_only_on: 'event.web_only_on',
  web_only_off: 'event.web_only_off',
  trustee_added: 'event.trustee_added',
  trustee_removed: 'event.trustee_removed',
  invite_created: 'event.invite_created',
} as const;

export function ActivityPage(p: Common & ActivityList) {
  // A reset's note on the mail key of a mailbox that was not encrypted (params.plain) is for the dashboard only:
  // such a mailbox lost no mail, and "old mail could not be restored" would say otherwise.
  const entries = p.entries.filter((e) => !e.params.plain);
  return (
    <Layout title={p.i18n.t('activity.title')} {...p}>
      <p>{p.i18n.t('activity.intro')}</p>
      <p>
        <a href="/sessions">{p.i18n.t('activity.sessionsLink')}</a>
      </p>
      {p.unreadable > 0 ? <p id="activity-unreadable">{p.i18n.t('activity.unreadable', { n: p.unreadable })}</p> : null}
      {entries.length === 0 ? (
        <p>{p.i18n.t('activity.none')}</p>
      ) : (
        <table id="activity">
          <thead>
            <tr>
              <th>{p.i18n.t('activity.time')}</th>
              <th>{p.i18n.t('activity.what')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr>
                <td>{p.i18n.time(e.at)}</td>
                <td>
                  {Object.hasOwn(EVENT_KEYS, e.kind) ? p.i18n.t(EVENT_KEYS[e.kind as keyof typeof EVENT_KEYS]) : e.kind}
                  {((d) => (d ? ` (${d})` : ''))(activityDetail(p.i18n, e))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** `back`: the page of the form the request came from, when there is one to go back to. */
export function ErrorPage(p: Common & { title: string; message: string; back?: string | undefined }) {
  return (
    <Layout {...p} title={p.title}>
      <p>{p.message}</p>
      {p.back ? (
        <p>
          <a href={p.back} id="back-to-form">
            {p.i18n.t('error.backToForm')}
          </a>
        </p>
      ) : null}
      <p>
        <a href="/">{p.i18n.t('error.startPage')}</a>
      </p>
    </Layout>
  );
}

export function PreferencesPage(
  p: Common & { csrf: string; next: string; langs: { code: string; name: string }[]; zones: string[]; timeZone: string },
) {
  const { i18n } = p;
  return (
    <Layout title={i18n.t('prefs.title')} {...p}>
      <p>{i18n.t('prefs.intro')}</p>
      <form method="post" action="/preferences">
        <CsrfField token={p.csrf} />
        <input type="hidden" name="next" value={p.next} />
        <label for="lang">{i18n.t('prefs.language')}</label>
        <select id="lang" name="lang">
          {p.langs.map((l) => (
            <option value={l.code} lang={l.code} selected={l.code === i18n.lang}>
              {l.name}
            </option>
          ))}
        </select>
        <label for="tz">{i18n.t('prefs.timeZone')}</label>
        <select id="tz" name="tz">
          {p.zones.map((z) => (
            <option value={z} selected={z === p.timeZone}>
              {z.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
        <p>
          <button type="submit">{i18n.t('prefs.save')}</button>
        </p>
      </form>
    </Layout>
  );
}
