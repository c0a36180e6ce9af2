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

/** The reset-rules form as typed, with its errors by field (shown again when refused). */
type RulesForm = { k: string; days: string; hours: string; kError?: string; waitError?: string };

export function trustRoutes(kit: Kit): Hono<Env> {
  const { deps, hashing, limiters, addressBuckets, render, common, limited, i18n } = kit;
  const { config, trust } = deps;
  const rl = config.rateLimits;
  const app = new Hono<Env>();
  // Through the activity list: a lowered k or a shorter wait is recorded and mailed to the owner (audit.ts).
  const changeRules = (userId: string, settings: { threshold: number; waitSeconds: number }) =>
    changeResetRules(trust, deps.audit, userId, settings);

  // ---- trusted users ---------------------------------------------------------------------------------------------
  /** `trusteesRead`: a listing the caller already made (listing opens every slot, the costliest part of this page). */
  async function trustPage<E extends Env>(
    c: C<E>,
    s: Session,
    errors?: string[],
    status: 200 | 404 | 409 | 422 = 200,
    rules?: RulesForm,
    trusteesRead?: ReturnType<typeof trust.listTrustees>,
  ) {
    const [trusted, settings] = await Promise.all([trusteesRead ?? trust.listTrustees(s.user), trust.getSettings(s.userId)]);
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
        rules={rules}
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
    const form: RulesForm = {
      k: field(body, 'k', 8).trim(),
      days: field(body, 'waitDays', 8).trim(),
      hours: field(body, 'waitHours', 8).trim(),
    };
    const t = i18n(c);
    const whole = (v: string, max: number) => (/^\d{1,4}$/.test(v || '0') && Number(v || '0') <= max ? Number(v || '0') : null);
    const k = /^\d{1,3}$/.test(form.k) ? Number(form.k) : Number.NaN;
    const trusteesRead = trust.listTrustees(s.user);
    const trusted = (await trusteesRead).length;
    // k must be one the user's trusted users can reach: a k above their number would leave nobody able to help.
    // With nobody trusted yet, k = 1 is what every account starts with (and the waiting period may still change).
    const reachable = Math.max(1, Math.min(trusted, config.trust.slots));
    if (!(k >= 1 && k <= config.trust.slots)) form.kError = t.t('trust.kRange', { slots: config.trust.slots });
    else if (k > reachable) form.kError = t.t('trust.kTooHigh', { k, count: trusted });
    const days = whole(form.days, 365);
    const hours = whole(form.hours, 23);
    const minWait = wholeSeconds(config.trust.minWait);
    const wait = days === null || hours === null ? null : days * 86400 + hours * 3600;
    if (wait === null || wait < minWait || wait > 365 * 86400) form.waitError = t.t('trust.waitRange', { min: t.duration(minWait) });
    if (form.kError || form.waitError)
      return trustPage(
        c,
        s,
        [form.kError, form.waitError].filter((e) => e !== undefined),
        422,
        form,
        trusteesRead,
      );
    try {
      await changeRules(s.userId, { threshold: k, waitSeconds: wait! });
    } catch (err) {
      if (trustCode(err) !== 'invalid-settings') throw err;
      return trustPage(c, s, [t.t('trust.notAllowed')], 422, form, trusteesRead);
    }
    // The shares of the mail key follow k at the next slot rewrite; do it now, so the dashboard's "k of n" is true
    // from this moment (a lowered k with shares still split for the old one would restore nothing).
    await trust.regenerate(s.user);
    return c.redirect('/trust?m=settings-saved', 303);
  });

  // ---- help someone reset ------------------------------------------------------------------------------------------
  app.get('/help-reset', loggedIn, async (c) =>
    render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} mail={await kit.mailCodeAsked()} />),
  );

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
    const mail = await kit.mailCodeAsked();
    try {
      await hashing(() => verifyOwnPassword(trust, s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      await limiters.login.fail([own]);
      return render(
        c,
        <HelpResetPage {...common(c)} csrf={c.get('csrf')} target={target} mail={mail} error={i18n(c).t('help.wrongPassword')} />,
        401,
      );
    }
    const outcome = await helpReset(trust, s.user, target);
    if (!outcome) await limiters.reset.fail(fruitless);
    let result: HelpResetResult = { kind: 'generic', username: target };
    if (outcome && 'vetoed' in outcome) result = { kind: 'vetoed', username: target, until: outcome.until };
    else if (outcome?.code) {
      result = { kind: 'code', code: outcome.code.code, expiresAt: outcome.code.expiresAt, username: target, mailCode: outcome.mailCode };
    } else if (outcome?.pending && outcome.pending.state !== 'vetoed') {
      result = {
        kind: 'recorded',
        username: target,
        confirmations: outcome.pending.confirmations,
        k: outcome.pending.threshold,
        effectiveAt: outcome.pending.effectiveAt,
        mailCode: outcome.mailCode,
      };
    }
    return render(c, <HelpResetPage {...common(c)} csrf={c.get('csrf')} target={target} mail={mail} result={result} />);
  });

  return app;
}
