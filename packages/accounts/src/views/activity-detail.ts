// The parenthesised detail of an activity entry (audit.ts params) in the reader's language: numbers, durations and
// times are stored as values, not as English text, so each reader sees them in their own locale and time zone.
import type { AuditEntry } from '../audit.ts';
import type { I18n } from '../i18n/index.ts';

export function activityDetail(t: I18n, e: AuditEntry): string | null {
  if (e.legacy !== null) return e.legacy;
  const p = e.params;
  const n = (k: string) => Number(p[k]);
  switch (e.kind) {
    case 'login_failed':
      return p.n === undefined ? null : t.t('event.detail.failures', { n: n('n') });
    case 'reset_confirmation':
      return p.k === undefined ? null : t.t('event.detail.confirmations', { confirmations: n('confirmations'), k: n('k') });
    case 'reset_pending':
      return p.effectiveAt === undefined ? null : t.t('event.detail.effective', { time: t.time(new Date(n('effectiveAt'))) });
    case 'k_changed':
      return t.t('event.detail.fromTo', { from: n('from'), to: n('to') });
    case 'wait_changed':
      return t.t('event.detail.fromTo', { from: t.duration(n('from')), to: t.duration(n('to')) });
    case 'sessions_logged_out':
      return t.t('event.detail.sessions', { n: n('n') });
    case 'trustee_added':
    case 'trustee_removed':
      // Only in the owner's own list, opened with their key (audit.ts SealedKind).
      return typeof p.name === 'string' ? p.name : null;
    default:
      return null;
  }
}
