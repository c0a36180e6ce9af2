/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The owner's sessions: when each began and was last used, a rough browser/system description, and one form that
// logs out every other session (a plain POST with the CSRF token, like every form here).
import type { SessionInfo } from '../sessions.ts';
import type { I18n } from '../i18n/index.ts';
import { CsrfField, Layout } from './layout.tsx';
import type { Common } from './pages.tsx';

function describe(t: I18n, s: SessionInfo): string {
  if (!s.client || (!s.client.browser && !s.client.os)) return t.t('sessions.unknown');
  return t.t('sessions.clientOn', { browser: s.client.browser || t.t('sessions.unknown'), os: s.client.os || t.t('sessions.unknown') });
}

export function SessionsPage(p: Common & { csrf: string; sessions: SessionInfo[] }) {
  const t = p.i18n;
  const others = p.sessions.filter((s) => !s.current).length;
  return (
    <Layout title={t.t('sessions.title')} {...p}>
      <p>{t.t('sessions.intro')}</p>
      <table id="sessions" class="stack">
        <thead>
          <tr>
            <th>{t.t('sessions.client')}</th>
            <th>{t.t('sessions.created')}</th>
            <th>{t.t('sessions.lastSeen')}</th>
          </tr>
        </thead>
        <tbody>
          {p.sessions.map((s) => (
            <tr class={s.current ? 'current' : undefined}>
              <td data-label={t.t('sessions.client')}>
                {describe(t, s)}
                {s.current ? <strong> ({t.t('sessions.current')})</strong> : null}
              </td>
              <td data-label={t.t('sessions.created')}>{t.time(s.createdAt)}</td>
              <td data-label={t.t('sessions.lastSeen')}>
                {s.lastSeenAt ? `${t.time(s.lastSeenAt)} (${t.relative(s.lastSeenAt)})` : t.t('sessions.notYet')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {others === 0 ? (
        <p id="sessions-only">{t.t('sessions.onlyThis')}</p>
      ) : (
        <form method="post" action="/sessions/logout-others">
          <CsrfField token={p.csrf} />
          <p>{t.t('sessions.othersHint')}</p>
          <button type="submit">{t.t('sessions.logoutOthers')}</button>
        </form>
      )}
    </Layout>
  );
}
