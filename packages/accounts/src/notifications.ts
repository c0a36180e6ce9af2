// Which activity entries the owner is mailed about, and how those mails read: in the recipient's language and time
// zone, ending with a link to the service (config publicUrl) and a line saying it was sent automatically. Every
// notification the accounts service sends is made here, so they all look alike.
import type { Logger } from 'pino';
import type { TrustStore } from '@peergroup/trust';
import { defaultTimeZone, type AccountsConfig } from './config.ts';
import type { AuditKind, Params, SealedKind } from './audit.ts';
import type { Mailer } from './mailer.ts';
import { DEFAULT_LANG, I18n, type MessageKey, type UserLocaleStore } from './i18n/index.ts';

interface Notice {
  subject: MessageKey;
  body: MessageKey[];
  /** Page the link points at. */
  path: string;
  params: (t: I18n, p: Params, at: Date) => Record<string, string | number>;
}

const num = (p: Params, k: string): number => Number(p[k] ?? 0);
const at = (t: I18n, _p: Params, when: Date) => ({ time: t.time(when) });

/**
 * The security-relevant entries: what a stranger holding a session (or the trustees acting together) would do on
 * the way to taking the account over, and what the owner must hear about even if they never open the activity list.
 */
function noticeFor(kind: AuditKind | SealedKind, p: Params, withMailboxes: boolean): Notice | null {
  switch (kind) {
    case 'reset_confirmation':
      // Only the first confirmation: the others follow within the same waiting period, and the armed mail says when.
      return num(p, 'confirmations') === 1
        ? {
            subject: 'mail.resetRequested.subject',
            body: ['mail.resetRequested.body'],
            path: '/dashboard',
            params: (t, q, w) => ({ time: t.time(w), k: num(q, 'k') }),
          }
        : null;
    case 'reset_pending':
      return {
        subject: 'mail.resetArmed.subject',
        body: ['mail.resetArmed.body'],
        path: '/dashboard',
        params: (t, q) => ({ time: t.time(new Date(num(q, 'effectiveAt'))) }),
      };
    case 'reset_completed':
      return {
        subject: 'mail.resetCompleted.subject',
        body: [
          'mail.resetCompleted.body',
          ...(withMailboxes ? (['mail.resetCompleted.appPasswords'] as const) : []),
          'mail.resetCompleted.contact',
        ],
        path: '/login',
        params: at,
      };
    case 'reset_vetoed':
      return { subject: 'mail.resetVetoed.subject', body: ['mail.resetVetoed.body'], path: '/activity', params: at };
    case 'password_changed':
      return { subject: 'mail.passwordChanged.subject', body: ['mail.passwordChanged.body'], path: '/login', params: at };
    case 'k_changed':
      return num(p, 'to') < num(p, 'from')
        ? {
            subject: 'mail.kLowered.subject',
            body: ['mail.kLowered.body'],
            path: '/trust',
            params: (t, q, w) => ({ time: t.time(w), from: num(q, 'from'), to: num(q, 'to') }),
          }
        : null;
    case 'wait_changed':
      return num(p, 'to') < num(p, 'from')
        ? {
            subject: 'mail.waitShortened.subject',
            body: ['mail.waitShortened.body'],
            path: '/trust',
            params: (t, q, w) => ({ time: t.time(w), from: t.duration(num(q, 'from')), to: t.duration(num(q, 'to')) }),
          }
        : null;
    case 'trustee_added':
      return { subject: 'mail.trusteeAdded.subject', body: ['mail.trusteeAdded.body'], path: '/activity', params: at };
    case 'recovery_code_created':
      // Whoever holds it resets the account without any trusted user: the strongest thing a session can make.
      return { subject: 'mail.recoveryCodeCreated.subject', body: ['mail.recoveryCodeCreated.body'], path: '/recovery-code', params: at };
    case 'app_password_created':
      return {
        subject: 'mail.appPasswordCreated.subject',
        body: ['mail.appPasswordCreated.body'],
        path: '/mail/app-passwords',
        params: at,
      };
    case 'web_only_off':
      // The main password now opens IMAP and SMTP: whoever learnt it can read and send the mail from anywhere.
      return { subject: 'mail.webOnlyOff.subject', body: ['mail.webOnlyOff.body'], path: '/mail', params: at };
    default:
      return null;
  }
}

export interface NotificationDeps {
  config: AccountsConfig;
  store: TrustStore;
  locales: UserLocaleStore;
  mailer: Mailer | undefined;
  logger: Logger;
}

/** Mails the owner when `kind` is security-relevant; resolves without sending anything otherwise. */
export async function notify(
  deps: NotificationDeps,
  userId: string,
  kind: AuditKind | SealedKind,
  params: Params,
  when: Date,
): Promise<void> {
  const { config, mailer } = deps;
  if (!mailer) return;
  const notice = noticeFor(kind, params, config.mailboxes !== undefined);
  if (!notice) return;
  const user = await deps.store.getUser(userId);
  if (!user) return;
  const pref = await deps.locales.get(userId);
  const t = new I18n(pref.lang ?? DEFAULT_LANG, pref.timeZone ?? defaultTimeZone(config));
  const values = notice.params(t, params, when);
  const links = config.publicUrl
    .map((u) => `${t.t('mail.footer.link', { url: new URL(notice.path.slice(1), u.endsWith('/') ? u : `${u}/`).href })}\n`)
    .join('');
  // "-- " starts a signature: mail clients show what follows as the footer it is.
  const text = `${notice.body.map((k) => t.t(k, values)).join('')}\n-- \n${links}${t.t('mail.footer.auto', { site: config.siteName })}\n`;
  try {
    await mailer.send({
      to: `${user.username}@${config.mail.domain}`,
      subject: `[${config.siteName}] ${t.t(notice.subject, values)}`,
      text,
      lang: t.lang,
    });
  } catch (err) {
    deps.logger.error({ err: { message: (err as Error).message }, kind }, 'notification mail failed');
    throw err;
  }
}
