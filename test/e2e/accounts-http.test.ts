// HTTP-level tests of the accounts service against the real server on SQLite and on a real PostgreSQL:
// CSRF, rate limits, account-existence leaks, session rotation and ending, headers, notification mail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client, DIALECTS, outbox, pageText, startTestService, stopPostgres, type TestService } from '@peergroup/test-support/accounts';

const PW = {
  alice: 'alice tulip mirror orbit',
  bob: 'bob canal lantern harbor',
  carol: 'carol meadow pebble violin',
  dave: 'dave juniper saddle comet',
};

let ipCounter = 0;
/** Each client gets its own forwarded address so per-client limits of one test do not hit another. */
const client = (t: TestService) => new Client(t.svc.url, `198.51.100.${++ipCounter}`);

for (const dialect of DIALECTS) {
  describe(`accounts over HTTP (${dialect})`, () => {
    let t: TestService;
    before(async () => {
      t = await startTestService(dialect, {
        trustProxy: true,
        mail: { domain: 'mail.example' },
        rateLimits: { login: { perBrowser: 2, perAccount: 4, perClient: 8, window: '10m' }, reset: { perAccount: 30, perClient: 30 } },
      });
      const s = t.svc.context.store;
      const alice = await s.createUser('alice', PW.alice, { admin: true });
      await s.createUser('bob', PW.bob);
      await s.createUser('carol', PW.carol);
      await s.createUser('dave', PW.dave);
      await s.addTrustee(alice, 'bob');
    });
    after(async () => {
      await t?.stop();
      if (dialect === 'postgres') await stopPostgres();
    });

    test('pages carry a strict CSP without inline script, no-store and anti-framing headers; no page has a script', async () => {
      const anon = client(t);
      const c = client(t);
      await c.login('alice', PW.alice);
      const pages = [
        ...['/login', '/signup', '/forgot', '/forgot/done'].map((p) => [anon, p] as const),
        ...['/dashboard', '/trust', '/invites', '/help-reset', '/password', '/activity'].map((p) => [c, p] as const),
      ];
      for (const [who, path] of pages) {
        const p = await who.get(path);
        assert.equal(p.status, 200, path);
        const csp = p.headers.get('content-security-policy') ?? '';
        assert.match(csp, /default-src 'none'/, path);
        assert.match(csp, /form-action 'self'/, path);
        assert.match(csp, /frame-ancestors 'none'/, path);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
        assert.equal(p.headers.get('cache-control'), 'no-store', path);
        assert.equal(p.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(p.headers.get('referrer-policy'), 'no-referrer', path);
        assert.doesNotMatch(p.body, /<script|\bon[a-z]+=|style="/i, path);
        assert.doesNotMatch(p.body, /https?:\/\//, `${path} must not reference external resources`);
      }
    });

    test('session cookie is HttpOnly, SameSite=Strict, and Secure for an onion host', async () => {
      const c = client(t);
      const login = await c.get('/login');
      const res = await new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
        const body = new URLSearchParams({ _csrf: c.lastCsrf, username: 'bob', password: PW.bob }).toString();
        const req = request(
          new URL('/login', t.svc.url),
          {
            method: 'POST',
            headers: {
              host: 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz234567.onion',
              cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
              'x-forwarded-for': c.clientIp!,
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': Buffer.byteLength(body),
            },
          },
          (r) => {
            r.resume();
            r.on('end', () => resolve({ status: r.statusCode!, setCookie: r.headers['set-cookie'] ?? [] }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(login.status, 200);
      assert.equal(res.status, 303);
      const session = res.setCookie.find((s) => s.startsWith('pg_session='));
      assert.ok(session, 'a session cookie is set');
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; Secure/);
      assert.match(session, /; SameSite=Strict/);
      // Over plain HTTP on an IP address the cookie cannot be Secure (the browser would drop it) but keeps the rest.
      const plain = client(t);
      await plain.login('bob', PW.bob);
      assert.ok(plain.cookies.has('pg_session'));
    });

    test("CSRF: POSTs without the token, with another client's token, or anonymous-bound tokens change nothing", async () => {
      const anon = client(t);
      await anon.get('/login');
      const noToken = await anon.post('/login', { _csrf: '', username: 'bob', password: PW.bob });
      assert.equal(noToken.status, 403);
      assert.ok(!anon.cookies.has('pg_session'));

      const other = client(t);
      await other.get('/login');
      const foreign = await anon.post('/login', { _csrf: other.lastCsrf, username: 'bob', password: PW.bob });
      assert.equal(foreign.status, 403, "another browser's token is refused");

      const bob = client(t);
      assert.equal((await bob.login('bob', PW.bob)).status, 303);
      // A token minted before login is bound to the pre-session cookie, not to the session.
      const stale = await bob.post('/trust/add', { _csrf: anon.lastCsrf, username: 'carol' });
      assert.equal(stale.status, 403);
      const trust = await bob.get('/trust');
      assert.doesNotMatch(trust.body, /<td>carol<\/td>/);
      // JSON or text bodies are not forms: refused before any handler runs.
      const res = await fetch(new URL('/trust/add', t.svc.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: [...bob.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/json' },
        body: JSON.stringify({ _csrf: bob.lastCsrf, username: 'carol' }),
      });
      assert.equal(res.status, 415);
      // With the right token it works, proving the refusals above were about the token.
      const ok = await bob.post('/trust/add', { username: 'carol' });
      assert.equal(ok.status, 303);
      assert.match((await bob.get('/trust')).body, /<td>carol<\/td>/);
      await bob.submit('/trust', { trustee: (await t.svc.context.store.getUserByName('carol'))!.userId }, '/trust/remove');
    });

    test('login issues a fresh session id (no fixation); logout ends the session on the server', async () => {
      const c = client(t);
      // An attacker plants a session cookie of their own choosing before the victim logs in.
      const planted = 'A'.repeat(43);
      c.cookies.set('pg_session', planted);
      await c.login('carol', PW.carol);
      const first = c.cookies.get('pg_session')!;
      assert.ok(first);
      assert.notEqual(first, planted, 'the planted id is replaced at login');
      const other = client(t);
      await other.login('carol', PW.carol);
      const second = other.cookies.get('pg_session')!;
      assert.notEqual(second, first, 'a new random id at every login');
      const copy = new Client(t.svc.url, c.clientIp);
      copy.cookies.set('pg_session', first);
      assert.equal((await copy.get('/dashboard')).status, 200, 'the cookie alone is the session');
      assert.equal((await c.get('/dashboard')).status, 200);
      await c.submit('/dashboard', {}, '/logout');
      assert.ok(!c.cookies.has('pg_session'));
      assert.equal((await other.get('/dashboard')).status, 200, 'logout ends only this session');
      const replay = new Client(t.svc.url, c.clientIp);
      replay.cookies.set('pg_session', first);
      const after = await replay.get('/dashboard');
      assert.equal(after.status, 303);
      assert.equal(after.location, '/login?m=session-ended');
    });

    test('the session row alone does not give the key: a forged cookie for an existing row fails', async () => {
      const c = client(t);
      await c.login('dave', PW.dave);
      const token = c.cookies.get('pg_session')!;
      const flipped = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
      const forged = new Client(t.svc.url, c.clientIp);
      forged.cookies.set('pg_session', flipped);
      assert.equal((await forged.get('/dashboard')).status, 303);
      const rows = await t.svc.context.db.selectFrom('accounts_session').selectAll().execute();
      for (const r of rows) {
        assert.notEqual(r.id_hash, token, 'the cookie value is never stored');
        assert.ok(!Buffer.from(r.blob).toString('latin1').includes(token));
      }
    });

    test('changing the password ends every other session and keeps trust relations', async () => {
      const s = t.svc.context.store;
      await s.createUser('erin', 'erin walnut ribbon glacier');
      const a = client(t);
      const b = client(t);
      await a.login('erin', 'erin walnut ribbon glacier');
      await b.login('erin', 'erin walnut ribbon glacier');
      await a.submit('/trust', { username: 'dave' }, '/trust/add');
      const before = a.cookies.get('pg_session');
      const weak = await a.submit('/password', { old: 'erin walnut ribbon glacier', password: 'erin12345678', password2: 'erin12345678' });
      assert.equal(weak.status, 422, 'the username inside the password is refused');
      assert.match(weak.body, /username/);
      const res = await a.submit('/password', {
        old: 'erin walnut ribbon glacier',
        password: 'saffron quartz meadow kite',
        password2: 'saffron quartz meadow kite',
      });
      assert.equal(res.status, 303);
      assert.notEqual(a.cookies.get('pg_session'), before, 'this browser gets a fresh session');
      assert.equal((await a.get('/dashboard')).status, 200);
      assert.equal((await b.get('/dashboard')).status, 303, 'the other session ended');
      assert.equal(await t.svc.context.sessions.countFor((await s.getUserByName('erin'))!.userId), 1);
      assert.match((await a.get('/trust')).body, /<td>dave<\/td>/, 'relations kept');
      const old = client(t);
      assert.equal((await old.login('erin', 'erin walnut ribbon glacier')).status, 401);
      assert.equal((await old.login('erin', 'saffron quartz meadow kite')).status, 303);
    });

    test('login: an unknown user and a wrong password get identical responses', async () => {
      const a = client(t);
      const b = client(t);
      const wrong = await a.login('alice', 'not the password at all');
      const unknown = await b.login('nobody-here', 'not the password at all');
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, wrong.status);
      assert.equal(pageText(unknown.body).replace('nobody-here', 'X'), pageText(wrong.body).replace('alice', 'X'));
    });

    test('help-reset: a non-trustee sees the same page for an existing account, a missing one and one that trusts nobody', async () => {
      const carol = client(t);
      await carol.login('carol', PW.carol);
      const texts: string[] = [];
      for (const target of ['alice', 'no-such-user', 'dave']) {
        const p = await carol.submit('/help-reset', { username: target, password: PW.carol });
        assert.equal(p.status, 200, target);
        // The result names the target and keeps it in the form; apart from that the pages are one.
        texts.push(pageText(p.body).replaceAll(target, 'NAME'));
      }
      assert.equal(texts[1], texts[0]);
      assert.equal(texts[2], texts[0]);
      assert.match(texts[0]!, /If NAME exists and you are one of their trusted users/);
      // Nothing was recorded for alice by a non-trustee.
      const alice = (await t.svc.context.store.getUserByName('alice'))!;
      assert.equal(await t.svc.context.store.pendingResetFor(alice.userId), null);
      // A wrong own password is about the requester's own account and says so.
      const bad = await carol.submit('/help-reset', { username: 'alice', password: 'wrong wrong wrong' });
      assert.equal(bad.status, 401);
    });

    test('forgot: a wrong code for an existing account and any code for a missing one look the same', async () => {
      const a = client(t);
      const b = client(t);
      const fields = { code: 'ABCD-EFGH-JKMN-PQRS', password: 'lilac harbor stone wheel', password2: 'lilac harbor stone wheel' };
      const existing = await a.submit('/forgot', { username: 'alice', ...fields });
      const missing = await b.submit('/forgot', { username: 'zed-nobody', ...fields });
      assert.equal(existing.status, 422);
      assert.equal(missing.status, existing.status);
      assert.equal(pageText(missing.body).replace('zed-nobody', 'X'), pageText(existing.body).replace('alice', 'X'));
    });

    test("a stranger's wrong passwords slow the stranger down; the owner gets in at once from a fresh browser on the same address and sees them", async () => {
      const s = t.svc.context.store;
      await s.createUser('frank', 'frank orchard velvet anchor');
      const address = `198.51.100.${++ipCounter}`;
      const before = new Client(t.svc.url, address);
      assert.equal((await before.login('frank', 'frank orchard velvet anchor')).status, 303, 'an earlier visit');
      const stranger = new Client(t.svc.url, address);
      const statuses: number[] = [];
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await stranger.login('frank', `wrong guess ${i}`);
        statuses.push(p.status);
        if (p.status === 429) waits.push(Number(p.headers.get('retry-after')));
      }
      assert.deepEqual(statuses, [401, 401, 429, 429, 429], 'perBrowser 2: the guessing browser is slowed down');
      assert.ok(
        waits.every((w) => w > 0 && w <= 300),
        `waits ${waits}: window / perBrowser at first`,
      );
      // Behind Tor every browser shares one address; what tells the owner apart is not having failed.
      await t.svc.context.settled();
      const owner = new Client(t.svc.url, address);
      const ok = await owner.login('frank', 'frank orchard velvet anchor');
      assert.equal(ok.status, 303, 'the owner is not locked out');
      await t.svc.context.settled();
      const activity = await owner.get('/activity');
      assert.match(pageText(activity.body), /Failed sign-in attempts with a wrong password \(2 attempts\)/);
      assert.doesNotMatch(activity.body, /198\.51\.100/, 'no addresses in the activity list');
      // A name that does not exist is limited identically (the limit must not reveal which names exist).
      const ghost = new Client(t.svc.url, address);
      const ghostStatuses = [];
      for (let i = 0; i < 3; i++) ghostStatuses.push((await ghost.login('ghost-name', 'whatever password')).status);
      assert.deepEqual(ghostStatuses, [401, 401, 429]);
    });

    test('rate limit per client: one address trying many names is stopped', async () => {
      const c = client(t);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await c.login(`spray-${i}`, 'some password')).status);
      assert.deepEqual(statuses.slice(0, 8), Array(8).fill(401));
      assert.deepEqual(statuses.slice(8), [429, 429]);
    });

    test('sign-up with an invite, strength feedback, and the invite is single-use', async () => {
      const bob = client(t);
      await bob.login('bob', PW.bob);
      const created = await bob.get((await bob.submit('/invites', {})).location!);
      const code = /id="invite-code">([^<]+)</.exec(created.body)?.[1];
      assert.ok(code, 'the code is shown');
      const listed = await bob.get('/invites');
      assert.ok(!listed.body.includes(code), 'shown only once');
      const n = client(t);
      const weak = await n.submit('/signup', { code, username: 'gina', password: 'password123', password2: 'password123' });
      assert.equal(weak.status, 422);
      assert.match(weak.body, /common password/);
      const mismatch = await n.submit('/signup', {
        code,
        username: 'gina',
        password: 'amber falcon river mint',
        password2: 'amber falcon river mind',
      });
      assert.match(mismatch.body, /differ/);
      const ok = await n.submit('/signup', {
        code,
        username: 'gina',
        password: 'amber falcon river mint',
        password2: 'amber falcon river mint',
      });
      assert.equal(ok.status, 303);
      assert.equal(ok.location, '/dashboard?m=welcome');
      assert.equal(/id="password-strength"/.test((await n.get(ok.location!)).body), false, 'a long password gets no nagging');
      assert.match((await n.get('/trust')).body, /<td>bob<\/td>/, 'the inviter is the first trusted user');
      // An accepted but short password is accepted with honest advice.
      const second = /id="invite-code">([^<]+)</.exec((await bob.get((await bob.submit('/invites', {})).location!)).body)![1]!;
      const lena = client(t);
      const fair = await lena.submit('/signup', { code: second, username: 'lena', password: 'ochre lynx 74', password2: 'ochre lynx 74' });
      assert.equal(fair.location, '/dashboard?m=welcome&pw=fair');
      assert.match((await lena.get(fair.location!)).body, /id="password-strength">[^<]*fairly short/);
      const again = await client(t).submit('/signup', {
        code,
        username: 'hank',
        password: 'amber falcon river mint',
        password2: 'amber falcon river mint',
      });
      assert.equal(again.status, 422);
      assert.match(again.body, /not valid/);
    });

    test('a revoked invite no longer signs anyone up and frees the quota', async () => {
      const carol = client(t);
      await carol.login('carol', PW.carol);
      const before = (await carol.get('/invites')).body;
      const left = Number(/create (\d+) more invite/.exec(before)![1]);
      const code = /id="invite-code">([^<]+)</.exec((await carol.get((await carol.submit('/invites', {})).location!)).body)![1]!;
      const listed = await carol.get('/invites');
      assert.match(listed.body, new RegExp(`create ${left - 1} more invite`));
      const id = /name="id" value="([^"]+)"/.exec(listed.body)![1]!;
      assert.equal((await carol.post('/invites/revoke', { id })).status, 303);
      const after = await carol.get('/invites');
      assert.match(after.body, new RegExp(`create ${left} more invite`));
      assert.match(after.body, /id="no-invites"/);
      const r = await client(t).submit('/signup', {
        code,
        username: 'mona',
        password: 'amber falcon river mint',
        password2: 'amber falcon river mint',
      });
      assert.equal(r.status, 422);
      assert.equal(await t.svc.context.store.getUserByName('mona'), null);
    });

    test('help-reset with k = 3: three trustees submit, re-submit and fetch the code without being refused; the owner completes the reset after a stranger guessed codes', async () => {
      const limited = await startTestService(dialect, {
        trustProxy: true,
        rateLimits: { reset: { perBrowser: 1, perAccount: 3, perClient: 1 }, signup: { perBrowser: 100, perAccount: 100, perClient: 2 } },
      });
      try {
        const ls = limited.svc.context.store;
        const rhea = await ls.createUser('rhea', 'rhea cobalt meadow frost');
        for (const name of ['sol', 'tom', 'uma']) {
          await ls.createUser(name, `${name} cobalt meadow frost`);
          await ls.addTrustee(rhea, name);
        }
        await ls.setSettings(rhea.userId, { threshold: 3 });
        const browsers = new Map<string, Client>();
        const submit = async (who: string) => {
          let c = browsers.get(who);
          if (!c) {
            c = new Client(limited.svc.url, `203.0.113.${++ipCounter % 250}`);
            await c.login(who, `${who} cobalt meadow frost`);
            browsers.set(who, c);
          }
          return c.submit('/help-reset', { username: 'rhea', password: `${who} cobalt meadow frost` });
        };
        const statuses: number[] = [];
        let code: string | undefined;
        for (const who of ['sol', 'tom', 'uma', 'sol', 'tom', 'uma', 'sol']) {
          const p = await submit(who);
          statuses.push(p.status);
          code = /id="reset-code">([^<]+)</.exec(p.body)?.[1] ?? code;
          if (statuses.length === 1) assert.match(pageText(p.body), /recorded: 1 of 3 needed/);
        }
        assert.deepEqual(statuses, Array(7).fill(200), 'no trustee submission counts against a limit of 1');
        assert.ok(code, 'the code was fetched (k = 3 reached, zero wait)');
        const fields = { password: 'fresh maple cobalt tide', password2: 'fresh maple cobalt tide' };
        const stranger = new Client(limited.svc.url, `203.0.113.${++ipCounter % 250}`);
        const guesses = [];
        for (let i = 0; i < 3; i++)
          guesses.push((await stranger.submit('/forgot', { username: 'rhea', code: 'AAAA-BBBB-CCCC-DDDD', ...fields })).status);
        assert.deepEqual(guesses, [422, 429, 429], 'the guessing browser is slowed down');
        const done = await new Client(limited.svc.url, `203.0.113.${++ipCounter % 250}`).submit('/forgot', {
          username: 'rhea',
          code,
          ...fields,
        });
        assert.equal(done.status, 303, 'the owner with the genuine code from a fresh browser gets through');
        const g = new Client(limited.svc.url, '203.0.113.252');
        const signups = [];
        for (const name of ['sam', 'sue', 'sid']) {
          signups.push(
            (
              await g.submit('/signup', {
                code: 'pgi_' + 'A'.repeat(32),
                username: name,
                password: 'lilac harbor stone wheel',
                password2: 'lilac harbor stone wheel',
              })
            ).status,
          );
        }
        assert.deepEqual(signups, [422, 422, 429], 'guessing invite codes from one address is stopped');
      } finally {
        await limited.stop();
      }
    });

    test("help-reset: a stranger's many submissions do not stop a genuine trustee; the stranger is slowed down, for existing and missing names alike", async () => {
      const limited = await startTestService(dialect, { trustProxy: true, rateLimits: { reset: { perAccount: 1, perClient: 2 } } });
      try {
        const ls = limited.svc.context.store;
        const wes = await ls.createUser('wes', 'wes cobalt meadow frost');
        await ls.createUser('xia', 'xia cobalt meadow frost');
        await ls.createUser('vic', 'vic cobalt meadow frost');
        await ls.addTrustee(wes, 'xia');
        const vic = new Client(limited.svc.url, `203.0.113.${++ipCounter % 250}`);
        await vic.login('vic', 'vic cobalt meadow frost');
        const strangerStatuses = [];
        for (const target of ['wes', 'zz-missing', 'wes', 'zz-missing', 'wes']) {
          strangerStatuses.push((await vic.submit('/help-reset', { username: target, password: 'vic cobalt meadow frost' })).status);
        }
        assert.deepEqual(strangerStatuses, [200, 200, 429, 429, 429], 'perClient 2 fruitless submissions per requester');
        assert.equal(await ls.pendingResetFor(wes.userId), null, 'the stranger recorded nothing');
        const xia = new Client(limited.svc.url, `203.0.113.${++ipCounter % 250}`);
        await xia.login('xia', 'xia cobalt meadow frost');
        const p = await xia.submit('/help-reset', { username: 'wes', password: 'xia cobalt meadow frost' });
        assert.equal(p.status, 200);
        assert.match(p.body, /id="reset-code"/, 'the genuine trustee (k = 1) gets the code');
      } finally {
        await limited.stop();
      }
    });

    test('guessing stays bounded: the guessing browser waits longer and longer, and one account takes one failed attempt per window / perAccount from anyone', async () => {
      let offset = 0;
      const now = () => new Date(Date.now() + offset);
      const clocked = await startTestService(
        dialect,
        { trustProxy: true, rateLimits: { login: { perBrowser: 2, perAccount: 4, perClient: 100, window: '10m' } } },
        { now },
      );
      try {
        const cs = clocked.svc.context.store;
        await cs.createUser('quinn', 'quinn orchard velvet anchor');
        await cs.createUser('pavel', 'pavel orchard velvet anchor');
        const fresh = () => new Client(clocked.svc.url, `192.0.2.${++ipCounter % 250}`);
        const retry = (p: { headers: Headers }) => Number(p.headers.get('retry-after'));
        // One browser: 2 failures, then window / perBrowser (300 s), doubling up to the window.
        const g = fresh();
        assert.deepEqual([(await g.login('quinn', 'guess 1')).status, (await g.login('quinn', 'guess 2')).status], [401, 401]);
        const first = await g.login('quinn', 'guess 3');
        assert.equal(first.status, 429);
        assert.ok(retry(first) > 290 && retry(first) <= 300, String(retry(first)));
        offset += 300_000;
        assert.equal((await g.login('quinn', 'guess 3')).status, 401, 'admitted once the wait is over');
        const second = await g.login('quinn', 'guess 4');
        assert.equal(second.status, 429);
        assert.ok(retry(second) > 590 && retry(second) <= 600, `doubled: ${retry(second)}`);
        // Fresh browsers for every guess: after perAccount failures, one attempt per 150 s on that account, whoever makes it.
        for (let i = 0; i < 4; i++) assert.equal((await fresh().login('pavel', `spray ${i}`)).status, 401);
        const spaced = await fresh().login('pavel', 'spray 5');
        assert.equal(spaced.status, 429);
        assert.ok(retry(spaced) > 0 && retry(spaced) <= 150, String(retry(spaced)));
        const ownerWaits = await fresh().login('pavel', 'pavel orchard velvet anchor');
        assert.equal(ownerWaits.status, 429, 'the owner shares the account bucket while it is being guessed');
        assert.ok(retry(ownerWaits) <= 150, 'but never for longer than the spacing');
        offset += 150_000;
        assert.equal((await fresh().login('pavel', 'pavel orchard velvet anchor')).status, 303, 'and then gets in');
        assert.equal((await fresh().login('pavel', 'spray 6')).status, 429, 'the owner took that slot');
        offset += 150_000;
        assert.equal((await fresh().login('pavel', 'spray 7')).status, 401);
        assert.equal((await fresh().login('pavel', 'spray 8')).status, 429, 'one guess per 150 s');
      } finally {
        await clocked.stop();
      }
    });

    if (dialect === 'postgres') {
      test('two accounts instances on one PostgreSQL share the limits', async () => {
        const limits = { login: { perBrowser: 2, perAccount: 4, perClient: 100, window: '10m' } };
        const a = await startTestService(dialect, { trustProxy: true, rateLimits: limits });
        const b = await startTestService(dialect, {
          trustProxy: true,
          rateLimits: limits,
          databaseUrl: a.svc.context.config.databaseUrl!,
          secretFile: a.svc.context.secretFile,
        });
        try {
          await a.svc.context.store.createUser('yara', 'yara orchard velvet anchor');
          // One browser moving between the instances (same cookies, same address).
          const address = `192.0.2.${++ipCounter % 250}`;
          const onA = new Client(a.svc.url, address);
          const onB = new Client(b.svc.url, address);
          const via = async (to: Client, from: Client, password: string) => {
            for (const [k, v] of from.cookies) to.cookies.set(k, v);
            const p = await to.login('yara', password);
            for (const [k, v] of to.cookies) from.cookies.set(k, v);
            return p.status;
          };
          assert.deepEqual(
            [await via(onA, onB, 'guess 1'), await via(onB, onA, 'guess 2'), await via(onA, onB, 'guess 3')],
            [401, 401, 429],
          );
          const freshOn = (svc: TestService) => new Client(svc.svc.url, `192.0.2.${++ipCounter % 250}`);
          assert.equal((await freshOn(b).login('yara', 'spray 1')).status, 401);
          assert.equal((await freshOn(a).login('yara', 'spray 2')).status, 401, 'four failures on the account, across both instances');
          assert.equal((await freshOn(b).login('yara', 'spray 3')).status, 429, 'instance b sees the account being guessed');
          assert.equal((await freshOn(a).login('yara', 'spray 4')).status, 429, 'and so does a');
        } finally {
          await b.stop();
          await a.stop();
        }
      });
    }

    test("reset by HTTP: notification mails go to the owner, completion ends the owner's sessions", async () => {
      const s = t.svc.context.store;
      const ivy = await s.createUser('ivy', 'ivy copper willow drum');
      await s.createUser('jack', 'jack pepper island frost');
      await s.addTrustee(ivy, 'jack');
      const ivyBrowser = client(t);
      await ivyBrowser.login('ivy', 'ivy copper willow drum');
      const jack = client(t);
      await jack.login('jack', 'jack pepper island frost');
      const p = await jack.submit('/help-reset', { username: 'ivy', password: 'jack pepper island frost' });
      const code = /id="reset-code">([^<]+)</.exec(p.body)?.[1];
      assert.ok(code, 'k = 1 and a zero wait: the code is shown at once');
      assert.match(p.body, /face to face/);
      const done = await client(t).submit('/forgot', {
        username: 'ivy',
        code,
        password: 'fresh maple cobalt tide',
        password2: 'fresh maple cobalt tide',
      });
      assert.equal(done.status, 303);
      assert.equal(done.location, '/forgot/done?trusted=1', 'jack, who handed over the code, is trusted again');
      assert.equal((await ivyBrowser.get('/dashboard')).status, 303, 'sessions ended at reset');
      const reused = await client(t).submit('/forgot', {
        username: 'ivy',
        code,
        password: 'other maple cobalt tide',
        password2: 'other maple cobalt tide',
      });
      assert.equal(reused.status, 422, 'the code is single-use');
      const mails = (await outbox(t)).filter((m) => /^To: ivy@mail\.example/m.test(m));
      const subjects = mails.map((m) => /^Subject: (.*)$/m.exec(m)?.[1] ?? '');
      assert.ok(
        subjects.some((x) => /reset was requested/.test(x)),
        subjects.join(' | '),
      );
      assert.ok(
        subjects.some((x) => /becomes effective at/.test(x)),
        subjects.join(' | '),
      );
      assert.ok(
        subjects.some((x) => /was reset/.test(x)),
        subjects.join(' | '),
      );
      for (const m of mails) assert.ok(!m.includes(code), 'the code is never mailed');
      const fresh = client(t);
      await fresh.login('ivy', 'fresh maple cobalt tide');
      const activity = await fresh.get('/activity');
      for (const what of ['Password reset completed', 'A trusted user confirmed', 'Logged in'])
        assert.match(activity.body, new RegExp(what));
      assert.doesNotMatch(activity.body, /jack|127\.0\.0\.1|198\.51\.100/, 'no trustee names or addresses in the audit list');
    });

    test('disabled accounts cannot log in and their sessions end', async () => {
      const s = t.svc.context.store;
      const kim = await s.createUser('kim', 'kim basil tower python');
      const c = client(t);
      await c.login('kim', 'kim basil tower python');
      await s.setDisabled(kim.userId, true);
      assert.equal((await c.get('/dashboard')).status, 303);
      const again = await client(t).login('kim', 'kim basil tower python');
      assert.equal(again.status, 403);
      assert.match(again.body, /disabled/);
    });

    test('sessions expire after sessionTtl and their rows are purged', async () => {
      const short = await startTestService(dialect, { sessionTtl: '1s' });
      try {
        await short.svc.context.store.createUser('tess', 'tess marble hollow kite');
        const c = new Client(short.svc.url);
        const login = await c.login('tess', 'tess marble hollow kite');
        assert.equal(login.status, 303);
        assert.match(login.headers.get('set-cookie') ?? '', /pg_session=[^;]+; Max-Age=1;/);
        assert.equal((await c.get('/dashboard')).status, 200);
        await new Promise((r) => setTimeout(r, 1200));
        assert.equal((await c.get('/dashboard')).status, 303, 'expired on the server even if the browser still sends the cookie');
        assert.equal(await short.svc.context.sessions.countFor((await short.svc.context.store.getUserByName('tess'))!.userId), 0);
      } finally {
        await short.stop();
      }
    });

    test('malformed and oversized requests get clear errors', async () => {
      const c = client(t);
      await c.get('/login');
      const big = await c.post('/login', { username: 'x'.repeat(20_000), password: 'y' });
      assert.equal(big.status, 413);
      assert.equal((await c.get('/no-such-page')).status, 404);
    });
  });
}
