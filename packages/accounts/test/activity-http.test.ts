// Sessions, the activity list and the security notification mails over real HTTP against the real service, on
// SQLite and PostgreSQL: what a hijacked session does is listed for the owner and mailed to them, while the database
// keeps nothing that names a trusted user, links an invite, or describes a browser in the clear.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, DIALECTS, decodeMail, pageText, startTestService, stopPostgres, type TestService } from '@peergroup/test-support/accounts';

const PW = {
  alice: 'alice tulip mirror orbit',
  bob: 'bob canal lantern harbor',
  carol: 'carol meadow pebble violin',
  dave: 'dave juniper saddle comet',
  erin: 'erin walnut signal breeze',
};
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36';
const ONION = 'http://abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz2345.onion';

for (const dialect of DIALECTS) {
  describe(`sessions, activity and notifications over HTTP (${dialect})`, () => {
    let t: TestService;
    let ip = 0;
    const client = (userAgent?: string) => {
      const c = new Client(t.svc.url, `192.0.2.${++ip}`);
      c.userAgent = userAgent;
      return c;
    };
    /** Mails to `user` written since the last call, decoded. */
    const seen = new Set<string>();
    async function newMails(user: string): Promise<string[]> {
      await t.svc.context.settled();
      const files = (await readdir(t.svc.outboxDir)).filter((f) => f.endsWith('.eml') && !seen.has(f)).sort();
      const out: string[] = [];
      for (const f of files) {
        const m = decodeMail(await readFile(join(t.svc.outboxDir, f), 'utf8'));
        if (new RegExp(`^To: ${user}@mail\\.example`, 'm').test(m)) {
          seen.add(f);
          out.push(m);
        }
      }
      return out;
    }

    before(async () => {
      t = await startTestService(dialect, {
        trustProxy: true,
        mail: { domain: 'mail.example' },
        publicUrl: ['https://accounts.example.org/', ONION],
        timeZone: 'Europe/Zurich',
      });
      const s = t.svc.context.store;
      const alice = await s.createUser('alice', PW.alice);
      for (const n of ['bob', 'carol', 'dave', 'erin'] as const) await s.createUser(n, PW[n]);
      await s.addTrustee(alice, 'bob');
      await s.addTrustee(alice, 'dave');
      await s.setSettings(alice.userId, { threshold: 2 });
      await newMails('alice');
    });
    after(async () => {
      await t?.stop();
      if (dialect === 'postgres') await stopPostgres();
    });

    test('the sessions page lists each session with its browser family, times, and marks this one; nothing finer is shown or stored', async () => {
      const laptop = client(FIREFOX_LINUX);
      const phone = client(CHROME_ANDROID);
      assert.equal((await laptop.login('erin', PW.erin)).status, 303);
      assert.equal((await phone.login('erin', PW.erin)).status, 303);
      const page = await laptop.get('/sessions');
      assert.equal(page.status, 200);
      const text = pageText(page.body);
      assert.match(text, /Firefox on Linux \(this browser\)/);
      assert.match(text, /Chromium on Android/);
      assert.doesNotMatch(text, /Chromium on Android \(this browser\)/);
      assert.doesNotMatch(page.body, /128\.0|126\.0|Pixel|192\.0\.2\./, 'no versions, device models or addresses');
      assert.match(text, /Last used/);
      // The phone made no request since its login; this browser just did. Once the phone is used, it has a time too.
      assert.equal(text.match(/not yet/g)?.length, 1, 'only the phone has not been used since its login');
      await phone.get('/dashboard');
      assert.doesNotMatch(pageText((await laptop.get('/sessions')).body), /not yet/);
      // The rows hold the family sealed to erin's key: no browser name, no address in any column.
      const rows = await t.svc.context.db.selectFrom('accounts_session').selectAll().execute();
      const dump = Buffer.concat(rows.flatMap((r) => Object.values(r).map((v) => Buffer.from(v instanceof Uint8Array ? v : String(v)))));
      for (const needle of ['Firefox', 'Chromium', 'Android', 'Linux', '192.0.2.']) {
        assert.equal(dump.indexOf(needle), -1, `${needle} is not stored in the clear`);
      }
      // German reader: the same page in German.
      laptop.acceptLanguage = 'de-CH';
      assert.match(pageText((await laptop.get('/sessions')).body), /Firefox auf Linux \(dieser Browser\)/);
    });

    test('log out all other sessions: refused without the CSRF token, then ends the others, keeps this one, and is listed', async () => {
      const mine = client(FIREFOX_LINUX);
      const other = client(CHROME_ANDROID);
      await mine.login('carol', PW.carol);
      await other.login('carol', PW.carol);
      await mine.get('/sessions');
      const forged = await mine.post('/sessions/logout-others', { _csrf: 'x'.repeat(43) });
      assert.equal(forged.status, 403);
      assert.equal((await other.get('/dashboard')).status, 200, 'a forged POST ends nothing');
      await mine.get('/sessions');
      const r = await mine.post('/sessions/logout-others', {});
      assert.equal(r.status, 303);
      assert.equal(r.location, '/sessions?m=others-logged-out');
      const after = await other.get('/dashboard');
      assert.equal(after.status, 303, 'the other browser is logged out');
      assert.match(after.location ?? '', /^\/login/);
      const list = await mine.get('/sessions?m=others-logged-out');
      assert.equal(list.status, 200, 'this browser stays logged in');
      assert.match(pageText(list.body), /Your other sessions are logged out\. .*This browser is your only session\./);
      assert.match(pageText((await mine.get('/activity')).body), /Other sessions logged out \(1 session\)/);
    });

    test('attack: a hijacked session lowers k and adds an accomplice — the owner sees both in the activity list and is mailed, nobody else learns who', async () => {
      const owner = client(FIREFOX_LINUX);
      const thief = client(CHROME_ANDROID);
      await owner.login('alice', PW.alice);
      // The thief holds a session of alice's (a stolen cookie is one; a login is the simplest way to get one here).
      await thief.login('alice', PW.alice);
      await newMails('alice');
      const rules = await thief.submit('/trust', { k: '1', waitDays: '0', waitHours: '0' }, '/trust/settings');
      assert.equal(rules.status, 303, 'k lowered');
      const add = await thief.submit('/trust', { username: 'carol' }, '/trust/add');
      assert.equal(add.status, 303, 'accomplice added');

      const activity = pageText((await owner.get('/activity')).body);
      assert.match(activity, /Number of trusted users who must agree changed \(from 2 to 1\)/);
      assert.match(activity, /Trusted user added \(carol\)/);

      const mails = await newMails('alice');
      const kMail = mails.find((m) => /^Subject: .*Fewer trusted users are now needed/m.test(m));
      const addMail = mails.find((m) => /^Subject: .*Someone was added to your trusted users/m.test(m));
      assert.ok(kMail, `a k-lowered mail (got: ${mails.map((m) => /^Subject: .*$/m.exec(m)?.[0]).join(' | ')})`);
      assert.ok(addMail, 'a trustee-added mail');
      assert.match(kMail, /lowered from 2 to 1/);
      for (const m of [kMail, addMail]) {
        assert.match(m, /^Auto-Submitted: auto-generated$/m);
        assert.match(m, /^Content-Language: en$/m);
        assert.match(m, /Your account: https:\/\/accounts\.example\.org\//);
        assert.ok(m.includes(`Your account: ${ONION}/`), 'the onion address too');
        assert.match(m, /sent automatically by peergroup accounts/);
        assert.doesNotMatch(m, /\(s\)/);
      }
      assert.doesNotMatch(addMail, /carol/, 'the mail does not name the trustee (mail travels in the clear)');

      // The database holds no row naming carol and no trustee-added kind in the clear.
      const rows = await t.svc.context.db.selectFrom('accounts_audit').selectAll().execute();
      for (const r of rows) {
        assert.doesNotMatch(`${r.kind} ${r.detail ?? ''}`, /carol|trustee/);
        if (r.box) assert.equal(Buffer.from(r.box).indexOf('carol'), -1);
      }
      const sealed = rows.filter((r) => r.kind === 'sealed');
      assert.ok(sealed.length >= 1);
      assert.equal(new Set(sealed.map((r) => Buffer.from(r.box!).length)).size, 1, 'every sealed entry has one size');
      // carol herself, and everyone else, sees nothing of it in their own list.
      const c = client();
      await c.login('carol', PW.carol);
      assert.doesNotMatch(pageText((await c.get('/activity')).body), /alice|Trusted user added/);
    });

    test('password change, reset cancelled, trustee removed, invite created and failed logins are listed; the first two are mailed in the owner’s language', async () => {
      const b = client(FIREFOX_LINUX);
      await b.login('bob', PW.bob);
      await b.submit('/preferences', { lang: 'de', tz: 'Europe/Zurich', next: '/dashboard' });
      // Two wrong passwords from elsewhere, while bob is logged in.
      for (let i = 0; i < 2; i++) await client().submit('/login', { username: 'bob', password: 'wrong wrong wrong wrong' });
      await t.svc.context.settled();
      const store = t.svc.context.store;
      const bobUser = await store.login('bob', PW.bob);
      await store.addTrustee(bobUser, 'dave');
      await store.addTrustee(bobUser, 'erin');
      await store.setSettings(bobUser.userId, { threshold: 1 });
      const dave = await store.login('dave', PW.dave);
      await store.requestReset(dave, 'bob');
      await newMails('bob');
      await b.submit('/dashboard', {}, '/reset/veto');
      const trustPage = await b.get('/trust');
      const erinId = /<td>erin<\/td>[\s\S]*?name="trustee" value="([^"]+)"/.exec(trustPage.body)?.[1];
      assert.ok(erinId, 'the trust page has a remove form for erin');
      assert.equal((await b.post('/trust/remove', { trustee: erinId })).status, 303);
      await b.submit('/invites', {}, '/invites');
      const pw2 = 'quiet maple ferry sunrise';
      assert.equal((await b.submit('/password', { old: PW.bob, password: pw2, password2: pw2 })).status, 303);

      const activity = pageText((await b.get('/activity')).body);
      // In bob's language (the cookie /preferences set), with numbers in it.
      assert.match(activity, /Du hast ein offenes Zurücksetzen abgebrochen/);
      assert.match(activity, /Vertrauensperson entfernt \(erin\)/);
      assert.match(activity, /Einladungscode erstellt/);
      assert.match(activity, /Passwort geändert/);
      assert.match(activity, /Fehlgeschlagene Anmeldeversuche mit falschem Passwort \(2 Versuche\)/);
      assert.match(activity, /bestätigt \(1 von 1\)/);

      const mails = await newMails('bob');
      const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m)?.[1] ?? '');
      assert.ok(
        subjects.some((s) => /Ein Zurücksetzen des Passworts wurde abgebrochen/.test(s)),
        subjects.join(' | '),
      );
      assert.ok(
        subjects.some((s) => /Dein Passwort wurde geändert/.test(s)),
        subjects.join(' | '),
      );
      assert.ok(!subjects.some((s) => /Vertrauensperson/.test(s)), 'removing a trusted user or making an invite sends no mail');
      for (const m of mails) {
        assert.match(m, /^Auto-Submitted: auto-generated$/m);
        assert.match(m, /^Content-Language: de$/m);
        assert.match(m, /Dein Konto: https:\/\/accounts\.example\.org\//);
        assert.match(m, /automatisch von peergroup accounts verschickt/);
      }
      // A longer waiting period mails nothing; a shorter one would, like a lower k (the attack test).
      await b.submit('/trust', { k: '1', waitDays: '1', waitHours: '0' }, '/trust/settings');
      const later = await newMails('bob');
      assert.ok(
        later.every((m) => !/Wartezeit|weniger Vertrauenspersonen/.test(m)),
        'a longer waiting period is no alarm',
      );
    });

    test('a recovery code made in a session is listed and mailed to the owner (it resets the account without any trustee)', async () => {
      const c = client(FIREFOX_LINUX);
      await c.login('carol', PW.carol);
      await newMails('carol');
      const form = await c.get('/recovery-code');
      const nonce = /name="nonce" value="([^"]+)"/.exec(form.body)?.[1];
      assert.ok(nonce, 'the form carries a nonce');
      const made = await c.post('/recovery-code', { password: PW.carol, nonce });
      assert.equal(made.status, 200);
      assert.match(pageText((await c.get('/activity')).body), /Recovery code created/);
      const mails = await newMails('carol');
      assert.equal(mails.length, 1, mails.map((m) => /^Subject: .*$/m.exec(m)?.[0]).join(' | '));
      assert.match(mails[0]!, /^Subject: .*A recovery code was made for your account/m);
      assert.match(mails[0]!, /Your account: https:\/\/accounts\.example\.org\/recovery-code/);
    });

    test('after a reset the account has a new key: entries sealed to the old one are counted, not shown, and no session survives', async () => {
      const store = t.svc.context.store;
      const d = client(FIREFOX_LINUX);
      await d.login('dave', PW.dave);
      assert.equal((await d.submit('/trust', { username: 'erin' }, '/trust/add')).status, 303);
      assert.match(pageText((await d.get('/activity')).body), /Trusted user added \(erin\)/);
      const erin = await store.login('erin', PW.erin);
      await store.requestReset(erin, 'dave');
      const { code } = await store.obtainResetCode(erin, 'dave');
      const pw2 = 'glacier thimble orchard seven';
      await store.completeReset('dave', code, pw2);
      await t.svc.context.settled();
      assert.equal((await d.get('/activity')).status, 303, 'the old session ended with the reset');
      await d.login('dave', pw2);
      const text = pageText((await d.get('/activity')).body);
      assert.match(text, /One entry from before your last password reset was encrypted to your old key and cannot be shown\./);
      assert.doesNotMatch(text, /erin/);
      assert.match(text, /Password reset completed with a code/);
    });
  });
}

test('a session used within the 5 minutes of its login is never shown as last used before it began', async () => {
  // 10:03 UTC, 11:03 in Zurich: the last use is stored rounded down to 10:00, three minutes before the login.
  let now = new Date('2026-12-02T10:03:20Z');
  const t = await startTestService('sqlite', { timeZone: 'Europe/Zurich' }, { now: () => now });
  try {
    await t.svc.context.store.createUser('erin', PW.erin);
    const c = new Client(t.svc.url, '192.0.2.200');
    c.userAgent = FIREFOX_LINUX;
    assert.equal((await c.login('erin', PW.erin)).status, 303);
    now = new Date('2026-12-02T10:04:10Z');
    const body = (await c.get('/sessions')).body;
    const cell = (label: string) => new RegExp(`<td data-label="${label}">([^<]*)`).exec(body)?.[1] ?? '';
    assert.match(cell('Logged in'), /11:03/);
    assert.match(cell('Last used'), /11:03/);
    assert.doesNotMatch(cell('Last used'), /11:00/);
  } finally {
    await t.stop();
  }
});
