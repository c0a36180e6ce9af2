/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pragmas keep JSX working when tsx runs with another working directory (no tsconfig.json in reach).
//
// Mail pages for the logged-in user (mounted only when `mailboxes` is configured): client settings and the
// web-only switch, app passwords, aliases, and deleting the account.
import { Hono } from 'hono';
import { verifyOwnPassword } from '../backend.ts';
import { MAX_PASSWORD_LENGTH } from '../password-strength.ts';
import type { MailAccounts } from '../mail/mail-accounts.ts';
import { MailRefusal } from '../mail/mail-accounts.ts';
import type { I18n } from '../i18n/index.ts';
import { AliasesPage, AppPasswordsPage, DeleteAccountPage, MailSettingsPage } from '../mail/pages.tsx';
import type { Session } from '../sessions.ts';
import { field, loggedIn, trustCode, type C, type Env, type Kit } from './kit.tsx';

export function mailRoutes(kit: Kit, mail: MailAccounts): Hono<Env> {
  const { deps, hashing, render, common, i18n } = kit;
  const app = new Hono<Env>();
  const cfg = mail.config;
  /** A refusal in the reader's language; one without a code (none reaches these pages today) keeps its English text. */
  const refusal = (t: I18n, err: MailRefusal): string => (err.code ? t.t(`mailRefusal.${err.code}`, err.params) : err.message);

  app.get('/mail', loggedIn, async (c) => {
    const s = c.get('me');
    const [settings, aliases, apps] = await Promise.all([
      mail.settings(s.userId),
      mail.listAliases(s.userId),
      mail.listAppPasswords(s.userId),
    ]);
    return render(
      c,
      <MailSettingsPage
        {...common(c)}
        csrf={c.get('csrf')}
        config={cfg}
        address={mail.address(s.user.username)}
        quotaBytes={settings.quotaBytes}
        webOnly={settings.webOnly}
        aliases={aliases.length}
        appPasswords={apps.length}
      />,
    );
  });

  app.post('/mail/web-only', loggedIn, async (c) => {
    const s = c.get('me');
    const on = field(await c.req.parseBody(), 'webOnly', 2) === '1';
    const was = (await mail.settings(s.userId)).webOnly;
    await mail.setWebOnly(s.userId, on);
    // Off lets mail clients log in with the main password: a stolen session's way to keep reading the mail.
    if (was !== on) await deps.audit.add(s.userId, on ? 'web_only_on' : 'web_only_off', deps.audit.now());
    return c.redirect(`/mail?m=${on ? 'web-only-on' : 'web-only-off'}`, 303);
  });

  // ---- app passwords -------------------------------------------------------------------------------------------
  async function appPage<E extends Env>(
    c: C<E>,
    s: Session,
    extra: { created?: { name: string; secret: string }; errors?: string[] } = {},
    status: 200 | 409 | 422 = 200,
  ) {
    return render(
      c,
      <AppPasswordsPage
        {...common(c)}
        csrf={c.get('csrf')}
        list={await mail.listAppPasswords(s.userId)}
        max={cfg.appPasswords.max}
        {...extra}
      />,
      status,
    );
  }

  app.get('/mail/app-passwords', loggedIn, (c) => appPage(c, c.get('me')));

  // Like invite codes, the secret is shown in the POST response only: nothing stored could show it again.
  app.post('/mail/app-passwords', loggedIn, async (c) => {
    const s = c.get('me');
    const name = field(await c.req.parseBody(), 'name', 128);
    try {
      const { secret } = await mail.createAppPassword(s.userId, name, s.user);
      await deps.audit.add(s.userId, 'app_password_created', deps.audit.now());
      return appPage(c, s, { created: { name: name.trim(), secret } });
    } catch (err) {
      if (!(err instanceof MailRefusal)) throw err;
      return appPage(c, s, { errors: [refusal(i18n(c), err)] }, 422);
    }
  });

  app.post('/mail/app-passwords/revoke', loggedIn, async (c) => {
    const s = c.get('me');
    await mail.revokeAppPassword(s.userId, field(await c.req.parseBody(), 'id', 64));
    return c.redirect('/mail/app-passwords?m=app-password-revoked', 303);
  });

  // ---- aliases ---------------------------------------------------------------------------------------------------
  async function aliasPage<E extends Env>(
    c: C<E>,
    s: Session,
    extra: { created?: string; errors?: string[] } = {},
    status: 200 | 409 | 422 = 200,
  ) {
    const [list, domains] = await Promise.all([mail.listAliases(s.userId), mail.aliasDomains()]);
    return render(
      c,
      <AliasesPage
        {...common(c)}
        csrf={c.get('csrf')}
        list={list}
        domains={domains}
        customLeft={Math.max(0, cfg.aliases.custom - list.filter((a) => a.kind === 'custom').length)}
        randomLeft={Math.max(0, cfg.aliases.random - list.filter((a) => a.kind === 'random').length)}
        coolDownDays={Math.round(cfg.aliases.coolDown / 86_400_000)}
        {...extra}
      />,
      status,
    );
  }

  app.get('/mail/aliases', loggedIn, (c) => aliasPage(c, c.get('me')));

  app.post('/mail/aliases', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    try {
      const address = await mail.createAlias(s.userId, field(body, 'local', 128), field(body, 'domain', 253), null);
      return aliasPage(c, s, { created: address });
    } catch (err) {
      if (!(err instanceof MailRefusal)) throw err;
      return aliasPage(c, s, { errors: [refusal(i18n(c), err)] }, err.code === 'aliasTaken' || err.code === 'aliasReserved' ? 409 : 422);
    }
  });

  app.post('/mail/aliases/random', loggedIn, async (c) => {
    const s = c.get('me');
    const body = await c.req.parseBody();
    try {
      const address = await mail.createRandomAlias(s.userId, field(body, 'domain', 253), field(body, 'note', 200));
      return aliasPage(c, s, { created: address });
    } catch (err) {
      if (!(err instanceof MailRefusal)) throw err;
      return aliasPage(c, s, { errors: [refusal(i18n(c), err)] }, 422);
    }
  });

  app.post('/mail/aliases/delete', loggedIn, async (c) => {
    await mail.deleteAlias(c.get('me').userId, field(await c.req.parseBody(), 'address', 320));
    return c.redirect('/mail/aliases?m=alias-deleted', 303);
  });

  // ---- deleting the account ----------------------------------------------------------------------------------------
  const waitSeconds = Math.round(cfg.deletionWait / 1000);

  app.get('/account/delete', loggedIn, async (c) => {
    const s = c.get('me');
    return render(
      c,
      <DeleteAccountPage
        {...common(c)}
        csrf={c.get('csrf')}
        deleteAt={(await mail.settings(s.userId)).deleteAt}
        waitSeconds={waitSeconds}
      />,
    );
  });

  app.post('/account/delete', loggedIn, async (c) => {
    const s = c.get('me');
    const password = field(await c.req.parseBody(), 'password', MAX_PASSWORD_LENGTH);
    try {
      await hashing(() => verifyOwnPassword(deps.trust, s.user, password));
    } catch (err) {
      if (trustCode(err) !== 'invalid-credentials') throw err;
      return render(
        c,
        <DeleteAccountPage
          {...common(c)}
          csrf={c.get('csrf')}
          deleteAt={null}
          waitSeconds={waitSeconds}
          errors={[i18n(c).t('deleteAccount.wrongPassword')]}
        />,
        401,
      );
    }
    await mail.requestDeletion(s.userId);
    return c.redirect('/account/delete', 303);
  });

  app.post('/account/delete/cancel', loggedIn, async (c) => {
    await mail.cancelDeletion(c.get('me').userId);
    return c.redirect('/dashboard?m=deletion-cancelled', 303);
  });

  return app;
}
