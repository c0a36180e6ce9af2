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
