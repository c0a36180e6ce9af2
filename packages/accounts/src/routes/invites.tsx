/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The logged-in user's invites: list, create (within the quota), revoke.
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Session } from '../sessions.ts';
import { ErrorPage, InvitesPage, type NewInviteView } from '../views/pages.tsx';
import { field, loggedIn, trustCode, type C, type Env, type Kit } from './kit.tsx';

/**
 * Carries a new code from the POST that created it to the one GET that shows it (POST-redirect-GET): only the code's
 * hash is stored, so the code itself travels in this short-lived cookie, scoped to /invites, and is deleted by the
 * page that shows it. A reload finds no cookie and says the code was shown; it never creates another.
 */
const NEW_INVITE_COOKIE = 'pg_new_invite';
const NEW_INVITE_RE = /^([0-9a-f]{16})\.([0-9A-Z-]{1,64})$/;

export function inviteRoutes(kit: Kit): Hono<Env> {
  const { deps, render, common, i18n, cookieOpts } = kit;
  const { trust } = deps;
  const app = new Hono<Env>();

  /** The sign-up link as the inviter's browser reaches this site (the invitee follows the same address). */
  const signupLink = <E extends Env>(c: C<E>, code: string): string => {
    const u = new URL('/signup', c.req.url);
    if (deps.config.trustProxy && c.req.header('x-forwarded-proto') === 'https') u.protocol = 'https:';
    u.searchParams.set('code', code);
    return u.href;
  };

  async function invitesPage<E extends Env>(c: C<E>, s: Session, newId?: string) {
    const [all, quota, used] = await Promise.all([
      trust.listInvites(s.userId, s.user),
      deps.getInviteQuota(s.userId),
      trust.usedInvites(s.user),
    ]);
    const open = all.filter((i) => i.state === 'open');
    let fresh: NewInviteView | undefined;
    if (newId) {
      const m = NEW_INVITE_RE.exec(getCookie(c, NEW_INVITE_COOKIE) ?? '');
      deleteCookie(c, NEW_INVITE_COOKIE, { ...cookieOpts(c), path: '/invites' });
      const mine = m && m[1] === newId && open.some((i) => i.id === newId);
      fresh = mine ? { code: m[2]!, link: signupLink(c, m[2]!) } : { gone: true };
    }
    return render(
      c,
      <InvitesPage
        {...common(c)}
        csrf={c.get('csrf')}
        invites={open}
        used={used}
        quotaLeft={Math.max(0, quota - open.length)}
        newInvite={fresh}
      />,
    );
  }

  const noInvitesLeft = <E extends Env>(c: C<E>) =>
    render(c, <ErrorPage {...common(c)} title={i18n(c).t('invites.noneLeftTitle')} message={i18n(c).t('invites.noneLeft')} />, 409);

  app.get('/invites', loggedIn, (c) => invitesPage(c, c.get('me'), /^[0-9a-f]{16}$/.exec(c.req.query('new') ?? '')?.[0]));

  app.post('/invites', loggedIn, async (c) => {
    const s = c.get('me');
    const [all, quota] = await Promise.all([trust.listInvites(s.userId), deps.getInviteQuota(s.userId)]);
    if (all.filter((i) => i.state === 'open').length >= quota) return noInvitesLeft(c);
    try {
      // The note is for the inviter's own list (sealed to their key); the invitee never sees it.
      const invite = await trust.createInvite(s.userId, field(await c.req.parseBody(), 'note', 200));
      await deps.audit.addSealed(s.user, 'invite_created');
      setCookie(c, NEW_INVITE_COOKIE, `${invite.id}.${invite.code}`, { ...cookieOpts(c, 600), path: '/invites' });
      return c.redirect(`/invites?new=${invite.id}`, 303);
    } catch (err) {
      if (trustCode(err) !== 'invite-quota') throw err;
      return noInvitesLeft(c);
    }
  });

  app.post('/invites/revoke', loggedIn, async (c) => {
    const s = c.get('me');
    const id = field(await c.req.parseBody(), 'id', 128);
    await trust.revokeInvite(s.userId, id);
    return c.redirect('/invites?m=invite-revoked', 303);
  });

  return app;
}
