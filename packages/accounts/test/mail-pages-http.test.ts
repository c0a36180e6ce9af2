// The mail pages (settings, app passwords, aliases, deleting the account) in the reader's language over real HTTP
// against the real service with mail accounts on (no Dovecot: nothing here logs in to a mailbox), refusals included,
// and the app-password notice in the owner's activity list and mail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, outbox, pageText, startTestService, type TestService } from '@peergroup/test-support/accounts';
import { CATALOGUES, type Lang, type MessageKey } from '../src/i18n/index.ts';

const PW = 'orchard velvet lantern quietly';
const PAGES = ['/mail', '/mail/app-passwords', '/mail/aliases', '/account/delete', '/dashboard'];
let t: TestService;
let work: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'peergroup-mail-pages-'));
  writeFileSync(join(work, 'passdb.secret'), randomBytes(24).toString('hex'), { mode: 0o600 });
  t = await startTestService('sqlite', {
    trustProxy: true,
    timeZone: 'Europe/Zurich',
    mail: { domain: 'example.org' },
    publicUrl: 'https://accounts.example.org',
    mailboxes: {
      domain: 'example.org',
      deletionWait: '7d',
      verifier: { opslimit: 1, memlimit: 8192 },
      dovecot: {
        dictSocket: join(work, 'dict.sock'),
        passdb: { listen: '127.0.0.1:0', secretFile: join(work, 'passdb.secret') },
        uid: process.getuid?.() || 5000,
        gid: process.getgid?.() || 5000,
      },
      postfix: { socketmap: '127.0.0.1:0' },
    },
  });
  for (const n of ['anna', 'beat', 'chiara', 'dora']) await t.svc.context.store.createUser(n, PW);
});
after(async () => {
  await t?.stop();
  rmSync(work, { recursive: true, force: true });
});

let ip = 0;
async function reader(username: string, lang: Lang): Promise<Client> {
  const c = new Client(t.svc.url, `203.0.113.${++ip}`);
  c.acceptLanguage = lang;
  assert.equal((await c.login(username, PW)).status, 303);
  // Stores the language for the mails too.
  await c.submit('/preferences', { lang, tz: 'Europe/Zurich', next: '/dashboard' });
  return c;
}

/** English sentences of the mail pages' keys that another language translates differently (short words excluded). */
function englishLeftovers(text: string, lang: Lang): string[] {
  const prefixes = ['mailPages.', 'appPasswords.', 'aliases.', 'deleteAccount.'];
  return (Object.keys(CATALOGUES.en) as MessageKey[])
    .filter((k) => prefixes.some((p) => k.startsWith(p)) && !CATALOGUES.en[k].includes('{'))
    .map((k) => CATALOGUES.en[k])
    .filter((en, i, all) => en.length > 12 && all.indexOf(en) === i)
    .filter((en) => !Object.values(CATALOGUES[lang]).includes(en) && text.includes(en));
}

for (const [lang, user, expect] of [
  ['de', 'anna', ['Mail-Einstellungen', 'IMAP (eingehend)', '0 Aliasse', 'Du hast keine App-Passwörter.', 'Die Wartezeit beträgt 7 Tage']],
  [
    'fr',
    'beat',
    [
      'Réglages de la messagerie',
      'IMAP (réception)',
      '0 alias',
      'Vous n’avez aucun mot de passe d’application.',
      'Après un délai d’attente de 7 jours',
    ],
  ],
  [
    'it',
    'chiara',
    ['Impostazioni della posta', 'IMAP (in arrivo)', '0 alias', 'Non hai password per app.', 'Dopo un periodo di attesa di 7 giorni'],
  ],
] as const) {
  test(`every mail page in ${lang}: no English sentence left, no "(s)"`, async () => {
    const c = await reader(user, lang);
    const texts: string[] = [];
    for (const path of PAGES) {
      const p = await c.get(path);
      assert.equal(p.status, 200, path);
      assert.match(p.body, new RegExp(`<html lang="${lang}">`), path);
      const text = pageText(p.body);
      assert.deepEqual(englishLeftovers(text, lang), [], `${path} in ${lang}`);
      assert.doesNotMatch(text, /\(s\)/, path);
      texts.push(text);
    }
    const all = texts.join(' ');
    for (const e of expect) assert.ok(all.includes(e), `${lang}: ${e}`);
  });
}

test('refusals come in the reader’s language with the right status; an app password is listed and mailed to the owner in German', async () => {
  const c = await reader('dora', 'de');
  await c.get('/mail/app-passwords');
  const noName = await c.post('/mail/app-passwords', { name: '   ' });
  assert.equal(noName.status, 422);
  assert.match(pageText(noName.body), /Gib dem Gerät einen Namen mit 1 bis 64 Zeichen\./);
  await c.get('/mail/aliases');
  const reserved = await c.post('/mail/aliases', { local: 'postmaster', domain: 'example.org' });
  assert.equal(reserved.status, 409);
  assert.match(pageText(reserved.body), /„postmaster“ ist reserviert und kann kein Alias sein\./);
  const taken = await c.post('/mail/aliases', { local: 'anna', domain: 'example.org' });
  assert.equal(taken.status, 409);
  assert.match(pageText(taken.body), /Diese Adresse ist vergeben\./);
  const bad = await c.post('/mail/aliases', { local: '-x-', domain: 'example.org' });
  assert.equal(bad.status, 422);
  assert.match(pageText(bad.body), /Ein Alias besteht aus 1–64 Kleinbuchstaben/);
  await c.get('/account/delete');
  const wrong = await c.post('/account/delete', { password: 'not the password at all' });
  assert.equal(wrong.status, 401);
  assert.match(pageText(wrong.body), /Dein Passwort ist nicht korrekt\./);

  await c.get('/mail/app-passwords');
  const made = await c.post('/mail/app-passwords', { name: 'Laptop' });
  assert.equal(made.status, 200);
  assert.match(pageText(made.body), /App-Passwort für Laptop/);
  assert.match(pageText((await c.get('/activity')).body), /App-Passwort für deine Mail erstellt/);
  const mails = (await outbox(t)).filter((m) => /^To: dora@example\.org/m.test(m));
  assert.equal(mails.length, 1, 'one mail: the app password');
  assert.match(mails[0]!, /^Auto-Submitted: auto-generated\r$/m);
  assert.match(mails[0]!, /^Content-Language: de\r$/m);
  assert.match(mails[0]!, /https:\/\/accounts\.example\.org\/mail\/app-passwords/);
});

test('turning web-only off is listed and mailed to the owner (it opens IMAP/SMTP logins with the main password); turning it on is listed only', async () => {
  await t.svc.context.store.createUser('emil', PW);
  const c = await reader('emil', 'en');
  const set = async (on: boolean) => {
    await c.get('/mail');
    assert.equal((await c.post('/mail/web-only', { webOnly: on ? '1' : '0' })).status, 303);
  };
  await set(true);
  await set(false);
  await set(false); // no change: nothing recorded
  const activity = pageText((await c.get('/activity')).body);
  assert.equal(activity.match(/Mail clients allowed to log in with your main password/g)?.length, 1);
  assert.equal(activity.match(/Main password limited to this website/g)?.length, 1);
  const mails = (await outbox(t)).filter((m) => /^To: emil@example\.org/m.test(m));
  assert.equal(mails.length, 1, 'one mail: web-only turned off');
  assert.match(mails[0]!, /^Subject: .*Mail clients can now log in with your main\s+password/m); // a folded header
  assert.match(mails[0]!, /https:\/\/accounts\.example\.org\/mail/);
});

test('with mailbox encryption off and no encrypted mailbox, the reset pages ask for no mail code and the dashboard promises no readable mail', async () => {
  const forgot = (await new Client(t.svc.url, '203.0.113.250').get('/forgot')).body;
  assert.doesNotMatch(forgot, /name="mailCode"/, '/forgot has no mail-code field');
  assert.ok(!pageText(forgot).includes(CATALOGUES.en['forgot.mailCodeHint']));
  const c = await reader('beat', 'en');
  const dashboard = pageText((await c.get('/dashboard')).body);
  assert.ok(!dashboard.includes(CATALOGUES.en['recovery.headingMail']), 'the recovery heading is the one without mail');
});
