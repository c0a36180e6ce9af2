// The account forms over real HTTP against the real service (SQLite): sign-up checks every field in one pass and
// shows a normalised name back, the fields carry their constraints and error links, an oversized body gets a page,
// the header shows the user's address, and invites are readable, linkable and shown once (POST-redirect-GET).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client, pageText, startTestService, type TestService } from '@peergroup/test-support/accounts';
import { USERNAME_PATTERN } from '../src/views/pages.tsx';
import { normalizeUsername } from '@peergroup/trust';

const PW = 'orchard velvet lantern quietly';
const NEW_PW = 'amber falcon river mint';

let t: TestService;
let ip = 0;
const client = (lang?: string) => {
  const c = new Client(t.svc.url, `203.0.113.${++ip}`);
  c.acceptLanguage = lang;
  return c;
};

before(async () => {
  t = await startTestService('sqlite', { trustProxy: true, mail: { domain: 'mail.example' } });
  await t.svc.context.store.createUser('olga', PW);
  await t.svc.context.store.createUser('taken', PW);
});
after(async () => {
  await t?.stop();
});

/** A fresh invite of olga's, from the store (the HTTP path is tested below). */
async function invite(): Promise<string> {
  const olga = await t.svc.context.store.getUserByName('olga');
  return (await t.svc.context.store.createInvite(olga!.userId)).code;
}

const attrs = (html: string, id: string) => new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? '';

describe('sign-up', () => {
  test('one round trip reports the invite, the username and both password problems together, each on its field', async () => {
    const p = await client().submit('/signup', {
      code: 'AAAA-BBBB-CCCC-DDDD-EEEE',
      username: 'zoë',
      password: 'short',
      password2: 'other',
    });
    assert.equal(p.status, 422);
    const text = pageText(p.body);
    assert.match(text, /There are 4 problems with the form/);
    assert.match(text, /invite code is not valid/);
    assert.match(text, /many mail servers refuse addresses with accented letters/, 'says plainly why zoë is refused');
    assert.match(text, /at least 10 characters/);
    assert.match(text, /passwords differ/);
    for (const id of ['code', 'username', 'password', 'password2']) {
      const input = attrs(p.body, id);
      assert.match(input, /aria-invalid="true"/, id);
      assert.match(input, new RegExp(`aria-describedby="${id}-error`), id);
      assert.match(p.body, new RegExp(`<p class="field-error" id="${id}-error">`), id);
      assert.match(p.body, new RegExp(`<li><a href="#${id}">`), `the summary links to ${id}`);
    }
    assert.match(p.body, /<section class="errors" id="error-summary" tabindex="-1" autofocus=""/, 'focus goes to the summary');
    assert.match(attrs(p.body, 'username'), /value="zoë"/, 'what was typed stays in the field');
  });

  test('a valid invite with a taken name says so in the same pass as a password problem; an invalid invite never reveals it', async () => {
    const code = await invite();
    const p = await client().submit('/signup', { code, username: 'taken', password: NEW_PW, password2: `${NEW_PW}x` });
    assert.equal(p.status, 422);
    assert.match(pageText(p.body), /That username is taken/);
    assert.match(pageText(p.body), /passwords differ/);
    assert.doesNotMatch(pageText(p.body), /invite code is not valid/);
    const only = await client().submit('/signup', { code, username: 'taken', password: NEW_PW, password2: NEW_PW });
    assert.equal(only.status, 409);
    const stranger = await client().submit('/signup', {
      code: 'pgi_' + 'A'.repeat(32),
      username: 'taken',
      password: NEW_PW,
      password2: NEW_PW,
    });
    assert.equal(stranger.status, 422);
    assert.doesNotMatch(pageText(stranger.body), /taken/);
    assert.equal(await t.svc.context.store.checkInvite(code), true, 'checking the form used nothing up');
  });

  test('a name that normalises differently is shown normalised for confirmation, not created silently', async () => {
    const code = await invite();
    const c = client();
    const first = await c.submit('/signup', { code, username: '  Dave.Smith  ', password: NEW_PW, password2: NEW_PW });
    assert.equal(first.status, 422);
    assert.match(pageText(first.body), /Your username will be “dave\.smith”/);
    assert.match(attrs(first.body, 'username'), /value="dave\.smith"/);
    assert.equal(await t.svc.context.store.getUserByName('dave.smith'), null, 'no account yet');
    const confirmed = await c.post('/signup', { code, username: 'dave.smith', password: NEW_PW, password2: NEW_PW });
    assert.equal(confirmed.status, 303);
    assert.ok(await t.svc.context.store.getUserByName('dave.smith'));
    // Surrounding spaces alone are no change of name.
    const spaced = await client().submit('/signup', { code: await invite(), username: ' erin ', password: NEW_PW, password2: NEW_PW });
    assert.equal(spaced.status, 303);
  });

  test('the invite code is typed case-insensitively and the sign-up link prefills it', async () => {
    const code = await invite();
    const form = await client().get(`/signup?code=${encodeURIComponent(code)}`);
    assert.match(attrs(form.body, 'code'), new RegExp(`value="${code}"`));
    const typed = await client().submit('/signup', {
      code: code.toLowerCase().replaceAll('-', ' '),
      username: 'fay',
      password: NEW_PW,
      password2: NEW_PW,
    });
    assert.equal(typed.status, 303);
  });

  test('the fields carry their constraints; the username pattern accepts what the server normalises and nothing else', async () => {
    const p = await client().get('/signup');
    const username = attrs(p.body, 'username');
    assert.match(username, /maxlength="64"/);
    assert.match(username, /aria-describedby="username-hint"/);
    assert.match(attrs(p.body, 'code'), /maxlength="64"/);
    assert.match(attrs(p.body, 'password'), /maxlength="1024"/);
    const pattern = /pattern="([^"]+)"/.exec(username)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(pattern, USERNAME_PATTERN);
    // Browsers compile pattern with the v flag, anchored.
    const re = new RegExp(`^(?:${USERNAME_PATTERN})$`, 'v');
    for (const name of ['dave', ' Dave.Smith ', 'a', 'x'.repeat(64), 'a_b-c.d', '0']) {
      assert.ok(re.test(name), name);
      assert.ok(normalizeUsername(name), name);
    }
    for (const name of ['zoë', '-a', 'a-', 'a b', 'x'.repeat(65), 'a@b', '']) {
      assert.equal(re.test(name), false, name);
      assert.equal(normalizeUsername(name), null, name);
    }
  });
});

describe('page frame', () => {
  test('a body over 16 KiB gets a 413 page in the reader’s language with a way back to the form, with or without Content-Length', async () => {
    const c = client('de-CH');
    await c.get('/signup');
    const big = new URLSearchParams({ _csrf: c.lastCsrf, username: 'x'.repeat(20 * 1024) }).toString();
    const sized = await fetch(new URL('/signup', t.svc.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de-CH' },
      body: big,
    });
    assert.equal(sized.status, 413);
    const html = await sized.text();
    assert.match(html, /<html lang="de">/);
    assert.match(pageText(html), /Zu viel Text/);
    assert.match(html, /<a href="\/signup" id="back-to-form">Zurück zum Formular<\/a>/);
    assert.match(html, /<link rel="stylesheet" href="\/static\/style.css"/, 'in the layout');
    // Chunked: the limit counts the bytes as they arrive. A logged-in user's page keeps their frame; the way back from
    // POST /trust/add is /trust.
    const olga = client();
    await olga.login('olga', PW);
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(new URL('/trust/add', t.svc.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'transfer-encoding': 'chunked',
          cookie: [...olga.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write(`a${i}=${'y'.repeat(1000)}&`);
      req.end();
    });
    assert.equal(chunked.status, 413);
    assert.match(chunked.body, /<a href="\/trust" id="back-to-form">/);
    assert.match(chunked.body, /id="my-address">Logged in as olga@mail\.example</);
  });

  test('the header shows the user’s own address; a skip link leads to main; the current page is marked in the nav', async () => {
    const olga = client();
    await olga.login('olga', PW);
    const dash = await olga.get('/dashboard');
    assert.match(dash.body, /<span class="me" id="my-address">Logged in as olga@mail\.example<\/span>/);
    assert.match(dash.body, /<body><a class="skip" href="#main">Skip to the content<\/a>/, 'the skip link comes first');
    assert.match(dash.body, /<main id="main" tabindex="-1">/);
    assert.match(dash.body, /<a href="\/dashboard" aria-current="page">/);
    assert.doesNotMatch(dash.body, /<a href="\/trust" aria-current/);
    assert.match((await olga.get('/trust')).body, /<a href="\/trust" aria-current="page">/);
    const anon = await client().get('/login');
    assert.match(anon.body, /<a href="\/login" aria-current="page">/);
    assert.doesNotMatch(anon.body, /id="my-address"/);
  });

  test('field borders have at least 3:1 contrast against the page in both colour schemes', async () => {
    const css = await (await fetch(new URL('/static/style.css', t.svc.url))).text();
    const lum = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => {
        const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const ratio = (a: string, b: string) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x! + 0.05) / (y! + 0.05);
    };
    const [light, dark] = css.split('prefers-color-scheme: dark');
    for (const scheme of [light!, dark!]) {
      const bg = /--bg: (#[0-9a-f]{6})/.exec(scheme)![1]!;
      const field = /--field: (#[0-9a-f]{6})/.exec(scheme)![1]!;
      assert.ok(ratio(field, bg) >= 3, `${field} on ${bg}: ${ratio(field, bg).toFixed(2)}`);
    }
    assert.match(css, /input\[type=text\][^{]*\{[^}]*border: 1px solid var\(--field\)/);
  });
});

describe('invites', () => {
  test('creating an invite redirects to a one-time view of a readable code and its sign-up link; a reload creates nothing', async () => {
    const olga = client();
    await olga.login('olga', PW);
    const before = await t.svc.context.store.listInvites((await t.svc.context.store.getUserByName('olga'))!.userId);
    await olga.get('/invites');
    const created = await olga.post('/invites', {});
    assert.equal(created.status, 303);
    assert.match(created.location ?? '', /^\/invites\?new=[0-9a-f]{16}$/);
    assert.doesNotMatch(created.body, /invite-code/, 'the POST response shows no code');
    const shown = await olga.get(created.location!);
    assert.equal(shown.status, 200);
    const code = /id="invite-code">([^<]+)</.exec(shown.body)?.[1];
    assert.match(code ?? '', /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const link = /id="invite-link">([^<]+)</.exec(shown.body)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(link, `${t.svc.url.replace(/\/$/, '')}/signup?code=${code}`);
    // The reload: the code is gone from the page, nothing new was created, and the code still works.
    const reload = await olga.get(created.location!);
    assert.doesNotMatch(reload.body, /id="invite-code"/);
    assert.match(reload.body, /id="invite-shown"/);
    assert.ok(!reload.body.includes(code!));
    const after = await t.svc.context.store.listInvites((await t.svc.context.store.getUserByName('olga'))!.userId);
    assert.equal(after.length, before.length + 1, 'exactly one invite was created');
    const viaLink = client();
    const form = await viaLink.get(new URL(link!).pathname + new URL(link!).search);
    assert.match(attrs(form.body, 'code'), new RegExp(`value="${code}"`));
    const joined = await viaLink.post('/signup', { code: code!, username: 'gus', password: NEW_PW, password2: NEW_PW });
    assert.equal(joined.status, 303);
  });

  test('another user cannot see a code through the one-time view', async () => {
    const olga = client();
    await olga.login('olga', PW);
    await olga.get('/invites');
    const created = await olga.post('/invites', {});
    const cookie = [...olga.cookies].find(([k]) => k === 'pg_new_invite');
    assert.ok(cookie, 'the code travels in a cookie scoped to /invites');
    const other = client();
    await other.login('taken', PW);
    other.cookies.set(cookie[0], cookie[1]);
    const p = await other.get(created.location!);
    assert.doesNotMatch(p.body, /id="invite-code"/, 'an invite id that is not theirs shows nothing');
  });
});

describe('invite notes and used invites', () => {
  test('a note only the inviter sees; a used invite is listed with its note and dates, without naming who used it', async () => {
    const store = t.svc.context.store;
    await store.createUser('nora', PW);
    const nora = client();
    await nora.login('nora', PW);
    await nora.get('/invites');
    const created = await nora.post('/invites', { note: 'for Sam' });
    const shown = await nora.get(created.location!);
    const code = /id="invite-code">([^<]+)</.exec(shown.body)![1]!;
    assert.match(pageText(shown.body), /Unused invites Note Created Expires for Sam/);
    assert.match(shown.body, /<input type="text" id="note" name="note" maxlength="60"/);
    const sam = client();
    const joined = await sam.submit(`/signup?code=${code}`, { code, username: 'samwise', password: NEW_PW, password2: NEW_PW }, '/signup');
    assert.equal(joined.status, 303);
    assert.doesNotMatch((await sam.get('/dashboard')).body + (await sam.get('/trust')).body, /for Sam/, 'the invitee never sees the note');
    const after = await nora.get('/invites');
    const used = /<table id="used-invites"[\s\S]*?<\/table>/.exec(after.body)?.[0] ?? '';
    assert.match(used, /<td data-label="Note">for Sam<\/td>/);
    assert.equal((used.match(/<tr>/g) ?? []).length, 2, 'a heading row and one used invite');
    assert.doesNotMatch(after.body, /samwise/, 'the invitee is not named');
    assert.match(after.body, /id="no-invites"/, 'no longer among the unused');
    // Another user sees neither the note nor the used invite.
    const other = client();
    await other.login('olga', PW);
    assert.doesNotMatch((await other.get('/invites')).body, /<td data-label="Note">for Sam/);
  });
});
