/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Peer resets, for the logged-in user: choosing trusted users and the reset rules (k of them, waiting period), and
// helping someone else reset.
import { Hono } from 'hono';
import { helpReset, verifyOwnPassword } from '../backend.ts';
import { MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import type { Session } from '../sessions.ts';
import { HelpResetPage, TrustPage, type HelpResetResult } from '../views/pages.tsx';
import { field, loggedIn, trustCode, type C, type Env, type Kit } from './kit.tsx';
import { wholeSeconds } from '../config.ts';
import { changeResetRules } from '../audit.ts';

export function trustRoutes(kit: Kit): Hono<Env> {
  const { deps, hashing, limiters, addressBuckets, render, common, limited, i18n } = kit;
  const { config, trust } = deps;
  const rl = config.rateLimits;
  const app = new Hono<Env>();

  // ---- trusted users ---------------------------------------------------------------------------------------------
  async function trustPage<E extends Env>(c: C<E>, s: Session, errors?: string[], status: 200 | 404 | 409 | 422 = 200) {
    const [trusted, settings] = await Promise.all([trust.listTrustees(s.user), trust.getSettings(s.userId)]);
    return render(
      c,
      <TrustPage
        {...common(c)}
        csrf={c.get('csrf')}
        trusted={trusted}
        slots={config.trust.slots}
        k={settings.threshold}
        waitSeconds={settings.waitSeconds}
        minWaitSeconds={wholeSeconds(config.trust.minWait)}
        errors={errors}
      />,
      status,
    );
  }

  app.get('/trust', loggedIn, (c) => trustPage(c, c.get('me')));

  app.post('/trust/add', loggedIn, async (c) => {
    const s = c.get('me');
    const username = field(await c.req.parseBody(), 'username', 128)
      .trim()
      .toLowerCase();
    try {
      const added = await trust.addTrustee(s.user, username);
      await deps.audit.addSealed(s.user, 'trustee_added', { name: added.username });
    } catch (err) {
      const messages: Record<string, [string, 404 | 409 | 422]> = {
        'not-found': [i18n(c).t('trust.notFound'), 404],
        'invalid-username': [i18n(c).t('trust.notFound'), 404],
        'trustee-exists': [i18n(c).t('trust.exists'), 409],
        'trustee-self': [i18n(c).t('trust.self'), 422],
        'slots-full': [i18n(c).t('trust.slotsFull'), 409],
      };
      const m = messages[trustCode(err) ?? ''];
      if (!m) throw err;
      return trustPage(c, s, [m[0]], m[1]);
    }
    return c.redirect('/trust?m=trustee-added', 303);
  });

  app.post('/trust/remove', loggedIn, async (c) => {
    const s = c.get('me');
    const trusteeId = field(await c.req.parseBody(), 'trustee', 64);
    const name = (await trust.getUser(trusteeId).catch(() => null))?.username ?? '';
    if (!(await trust.removeTrustee(s.user, trusteeId))) return trustPage(c, s, [i18n(c).t('trust.notTrustee')], 422);
    await deps.audit.addSealed(s.user, 'trustee_removed', { name });
    return c.redirect('/trust?m=trustee-removed', 303);
  });

  app.post('/trust/settings', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    const k = Number(field(body, 'k', 8));
    const wait = Number(field(body, 'wait', 16));
    const errors: string[] = [];
    if (!Number.isInteger(k) || k < 1 || k > config.trust.slots) errors.push(i18n(c).t('trust.kRange', { slots: config.trust.slots }));
    const minWait = wholeSeconds(config.trust.minWait);
    if (!Number.isInteger(wait) || wait < minWait || wait > 365 * 86400) {
      errors.push(i18n(c).t('trust.waitRange', { min: i18n(c).duration(minWait) }));
    }
    if (errors.length) return trustPage(c, s, errors, 422);
    try {
      // Through the activity list: a lowered k or a shorter wait is recorded and mailed to the owner (audit.ts).
      await changeResetRules(trust, deps.audit, s.userId, { threshold: k, waitSeconds: wait });
    } catch (err) {
      if (trustCode(err) !== 'invalid-settings') throw err;
      return trustPage(c, s, [i18n(c).t('trust.notAllowed')], 422);
    }
    return c.redirect('/trust?m=settings-saved', 303);
  });

  // ---- help someone reset ------------------------------------------------------------------------------------------
  app.get('/help-reset', loggedIn, (c) => render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} />));

  app.post('/help-reset', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    const target = field(body, 'username', 128).trim().toLowerCase();
    const password = field(body, 'password', MAX_PASSWORD_LENGTH);
    // Nothing of the target is guessed here and a non-trustee records nothing, so there is no per-target bucket (one
    // let strangers block a reset). What counts: the requester's own password (shared with /password) and
    // submissions that recorded nothing. A trustee's own submissions, re-submits and the code fetch never count.
    const own = { key: `p:${s.userId}`, limit: rl.login.perBrowser, shared: false };
    const fruitless = [{ key: `u:${s.userId}`, limit: rl.reset.perClient, shared: false }, ...addressBuckets(c, rl.reset.perClient)];
    const lim = await limiters.login.admit([own]);
    const lim2 = lim.allowed ? await limiters.reset.admit(fruitless) : lim;
    if (!lim2.allowed) return limited(c, lim2.retryAfter, 'reset');
    try {
      await hashing(() => verifyOwnPassword(trust, s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      await limiters.login.fail([own]);
      return render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} error={i18n(c).t('help.wrongPassword')} />, 401);
    }
    const outcome = await helpReset(trust, s.user, target);
    if (!outcome) await limiters.reset.fail(fruitless);
    let result: HelpResetResult = { kind: 'generic' };
    if (outcome?.code) result = { kind: 'code', code: outcome.code.code, expiresAt: outcome.code.expiresAt, username: target };
    else if (outcome?.pending && outcome.pending.state !== 'vetoed') {
      result = {
        kind: 'recorded',
        confirmations: outcome.pending.confirmations,
        k: outcome.pending.threshold,
        effectiveAt: outcome.pending.effectiveAt,
      };
    }
    return render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} result={result} />);
  });

  return app;
}
