// Pages in the reader's language over real HTTP against the real service (SQLite): Accept-Language, the no-JS
// language links and the preferences form (cookies), and notification mail in the recipient's stored language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, decodeMail, startTestService, type TestService } from '@peergroup/test-support/accounts';

let t: TestService;
const PW = 'orchard velvet lantern quietly';

before(async () => {
  t = await startTestService('sqlite', { trustProxy: true, timeZone: 'Europe/Zurich', trust: { minWait: '1s' } });
});
after(async () => {
  await t?.stop();
});

let ip = 0;
const client = (lang?: string) => {
  const c = new Client(t.svc.url, `203.0.113.${++ip}`);
  c.acceptLanguage = lang;
  return c;
};

test('Accept-Language picks the page language and <html lang>, with region fallback', async () => {
  const cases = [
    ['de-CH,de;q=0.9,en;q=0.5', 'de', 'Ich habe mein Passwort vergessen'],
    ['fr-CH', 'fr', 'J’ai oublié mon mot de passe'],
    ['it-IT,it;q=0.9', 'it', 'Ho dimenticato la password'],
    ['es-ES,en;q=0.3', 'en', 'I forgot my password'],
  ] as const;
  for (const [header, lang, text] of cases) {
    const p = await client(header).get('/login');
    assert.equal(p.status, 200);
    assert.match(p.body, new RegExp(`<html lang="${lang}">`), header);
    assert.ok(p.body.includes(text), `${header}: ${text}`);
  }
  const de = await client('de-CH').get('/nowhere');
  assert.equal(de.status, 404);
  assert.ok(de.body.includes('Nicht gefunden'));
});

test('the language links work without JavaScript: they set a SameSite=Strict cookie and the next page is in that language', async () => {
  const c = client('en-GB');
  const first = await c.get('/forgot');
  assert.match(first.body, /<html lang="en">/);
  assert.ok(first.body.includes('href="/lang/it?next=%2Fforgot"'), 'footer link back to this page');
  const sw = await c.get('/lang/it?next=%2Fforgot');
  assert.equal(sw.status, 303);
  assert.equal(sw.location, '/forgot');
  const cookie = sw.headers.getSetCookie().find((x) => x.startsWith('lang='));
  assert.ok(cookie, 'lang cookie set');
  assert.match(cookie, /SameSite=Strict/i);
  const next = await c.get('/forgot');
  assert.match(next.body, /<html lang="it">/);
  assert.ok(next.body.includes('Codice di reimpostazione'));
  // Never a redirect off the site, whatever next says.
  for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const r = await c.get(`/lang/de?next=${encodeURIComponent(evil)}`);
    assert.equal(r.location, '/', evil);
  }
  assert.equal((await c.get('/lang/xx')).status, 404);
});

test('sign-up stores the page language; the preferences form sets language and time zone; mail follows the stored language', async () => {
  const s = t.svc.context.store;
  const owner = await s.createUser('ottilie', PW);
  const invite = await s.createInvite(owner.userId);
  const c = client('de-CH,de;q=0.9');
  const signup = await c.submit('/signup', { code: invite.code, username: 'jakob', password: PW, password2: PW });
  assert.equal(signup.status, 303, signup.body.slice(0, 400));
  const dash = await c.get('/dashboard');
  assert.match(dash.body, /<html lang="de">/);
  assert.ok(dash.body.includes('Du vertraust einer Person.'), 'German plural text on the dashboard');
  const jakob = await s.getUserByName('jakob');
  assert.deepEqual(await t.svc.context.locales.get(jakob!.userId), { lang: 'de', timeZone: undefined });

  // The form (no JavaScript) switches to French and a New York clock; stored for the user, and the pages follow.
  await c.get('/preferences?next=%2Finvites');
  const saved = await c.post('/preferences', { lang: 'fr', tz: 'America/New_York', next: '/invites' });
  assert.equal(saved.status, 303);
  assert.equal(saved.location, '/invites?m=preferences-saved');
  const inv = await c.get('/invites?m=preferences-saved');
  assert.match(inv.body, /<html lang="fr">/);
  assert.ok(inv.body.includes('Votre langue et votre fuseau horaire sont enregistrés.'));
  assert.deepEqual(await t.svc.context.locales.get(jakob!.userId), { lang: 'fr', timeZone: 'America/New_York' });
  // A zone that does not exist is ignored, not stored.
  await c.get('/preferences');
  await c.post('/preferences', { lang: 'it', tz: 'Mars/Olympus', next: '/' });
  assert.deepEqual(await t.svc.context.locales.get(jakob!.userId), { lang: 'it', timeZone: 'America/New_York' });

  // A reset request for jakob mails him in Italian, with the time in his zone.
  const before = new Set(await readdir(t.svc.outboxDir));
  await s.requestReset(owner, 'jakob');
  await t.svc.context.settled();
  const fresh = (await readdir(t.svc.outboxDir)).filter((f) => f.endsWith('.eml') && !before.has(f));
  // k = 1 (the default for a new account with one trusted user): "requested" and "becomes effective" at once.
  assert.equal(fresh.length, 2, 'two notifications');
  const mails = await Promise.all(fresh.map(async (f) => decodeMail(await readFile(join(t.svc.outboxDir, f), 'utf8'))));
  const requested = mails.find((m) => m.includes('È stata chiesta una reimpostazione della password del tuo account'));
  assert.ok(requested, mails.join('\n----\n'));
  assert.ok(requested.includes('Serve una conferma prima che inizi un’attesa.'), 'Italian plural for k = 1');
  // Wall-clock hour in New York, not in the server's Europe/Zurich nor UTC.
  const hour = new Intl.DateTimeFormat('it', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' }).format(new Date());
  assert.match(requested, new RegExp(`il \\d+ \\S+ \\d{4}, ${hour}:\\d\\d\\.`), requested);
  assert.ok(mails.some((m) => m.includes('Una reimpostazione della tua password diventa effettiva il')));
});
