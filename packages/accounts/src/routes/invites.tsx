/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// The logged-in user's invites: list, create (within the quota), revoke.
import { Hono } from 'hono';
import type { Session } from '../sessions.ts';
import { ErrorPage, InvitesPage } from '../views/pages.tsx';
import { field, loggedIn, trustCode, type C, type Env, type Kit } from './kit.tsx';

export function inviteRoutes(kit: Kit): Hono<Env> {
  const { deps, render, common, i18n } = kit;
  const { trust } = deps;
  const app = new Hono<Env>();

  async function invitesPage<E extends Env>(c: C<E>, s: Session, newCode?: string) {
    const [all, quota] = await Promise.all([trust.listInvites(s.userId), deps.getInviteQuota(s.userId)]);
    const open = all.filter((i) => i.state === 'open');
    return render(
      c,
      <InvitesPage {...common(c)} csrf={c.get('csrf')} invites={open} quotaLeft={Math.max(0, quota - open.length)} newCode={newCode} />,
    );
  }

  const noInvitesLeft = <E extends Env>(c: C<E>) =>
    render(c, <ErrorPage {...common(c)} title={i18n(c).t('invites.noneLeftTitle')} message={i18n(c).t('invites.noneLeft')} />, 409);

  app.get('/invites', loggedIn, (c) => invitesPage(c, c.get('me')));

  // The code is rendered in the POST response itself: it exists nowhere else (only its hash is stored), so there is
  // nothing a redirect could show. Reloading asks the browser to resubmit, which creates another code against the quota.
  app.post('/invites', loggedIn, async (c) => {
    const s = c.get('me');
    const [all, quota] = await Promise.all([trust.listInvites(s.userId), deps.getInviteQuota(s.userId)]);
    if (all.filter((i) => i.state === 'open').length >= quota) return noInvitesLeft(c);
    try {
      const invite = await trust.createInvite(s.userId);
      await deps.audit.addSealed(s.user, 'invite_created');
      return invitesPage(c, s, invite.code);
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
