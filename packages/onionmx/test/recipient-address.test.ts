import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRcptArgument, parseRecipientPath, splitPathArgument } from '../src/inbound/recipient-address.ts';
import { RELAY_ATTEMPTS, OUR_DOMAIN } from '@peergroup/test-support/relay-attempts';

test('every relay attempt pattern is refused by the strict parser, or parses to a domain that is not ours', () => {
  assert.ok(RELAY_ATTEMPTS.length >= 25);
  for (const attempt of RELAY_ATTEMPTS) {
    const r = parseRcptArgument(attempt.argument, { utf8: attempt.utf8 === true });
    if (r.ok) {
      // Only plain addresses of another domain may parse; the domain check refuses those.
      assert.notEqual(r.domain, OUR_DOMAIN, `${attempt.name}: parsed as ours: ${r.address}`);
      assert.match(r.address, /^[a-z0-9.]+@[a-z0-9.-]+$/, `${attempt.name}: odd address passed: ${r.address}`);
      assert.doesNotMatch(r.address, /[%!"\\[\]:,]/, attempt.name);
    } else {
      assert.ok(r.reason.length > 5, `${attempt.name}: reason is "${r.reason}"`);
    }
  }
});

test('the routing tricks are refused outright, not just left to the domain check', () => {
  const mustRefuse: Array<[string, RegExp]> = [
    ['<@ours.example:user@victim.example>', /source route/],
    ['<@a.example,@b.example:u@ours.example>', /source route/],
    ['<user%victim.example@ours.example>', /percent/],
    ['<victim.example!user@ours.example>', /bang/],
    ['<"user@victim.example"@ours.example>', /containing @/],
    ['<"user\\"x"@ours.example>', /backslash/],
    ['<user@victim.example@ours.example>', /more than one @/],
    ['<user@ours.example.>', /trailing dot/],
    ['<user@[192.0.2.1]>', /address literal/],
    ['<user@[IPv6:::1]>', /address literal/],
    ['<user\\@x@ours.example>', /more than one @|backslash/],
    ['<user@localhost>', /two labels/],
    ['<user@192.0.2.1>', /numeric/],
    ['<user@ours\u3002example>', /non-ASCII domain/],
    ['<user@xn--bcher-kva.example.>', /trailing dot/],
    ['<.user@ours.example>', /dot/],
    ['<user.@ours.example>', /dot/],
    ['<us..er@ours.example>', /dot/],
    ['<user@ours..example>', /empty label/],
    ['<user@-ours.example>', /starts or ends with -/],
    ['<user@ours_x.example>', /characters other than/],
    ['<us\u00e9r@ours.example>', /without SMTPUTF8/],
    ['<us\x00er@ours.example>', /control/],
    ['<user@ours.example> x', /./],
    ['<user@ours.example>x', /garbage/],
    ['user@ours.example', /angle brackets/],
    ['<user@ours.example', /unterminated/],
    ['<<user@ours.example>>', /unexpected </],
    ['<>', /empty/],
    ['<user>', /no @domain/],
    ['<|cmd@ours.example>', /start with/],
    ['<=?utf-8?q?a=40victim.example?=@ours.example>', /encoded-word/],
    ['<x=?ISO-8859-1?B?QGV2aWw=?=@ours.example>', /encoded-word/],
    ['<-x@ours.example>', /start with/],
    ['<"a b\u00e9"@ours.example>', /not accepted in a quoted/],
    [`<${'a'.repeat(65)}@ours.example>`, /64 octets/],
    [`<u@${'a'.repeat(64)}.example>`, /63 characters/],
    [`<u@${Array.from({ length: 60 }, () => 'abcd').join('.')}.example>`, /253|256/],
  ];
  for (const [arg, why] of mustRefuse) {
    const r = parseRcptArgument(arg);
    if (arg === '<user@ours.example> x') {
      // Parameters are split off, not part of the address; validated later against the MX's extensions.
      assert.ok(r.ok && r.params === 'x');
      continue;
    }
    assert.equal(r.ok, false, `${JSON.stringify(arg)} was accepted`);
    if (!r.ok) assert.match(r.reason, why, JSON.stringify(arg));
  }
});

test('ordinary addresses are accepted and normalised only in the domain', () => {
  const ok: Array<[string, string, string | null]> = [
    ['<user@ours.example>', 'user@ours.example', 'ours.example'],
    ['<User.Name+tag@OURS.Example>', 'User.Name+tag@ours.example', 'ours.example'],
    [' <a_b-c=d@mail.ours.example>', 'a_b-c=d@mail.ours.example', 'mail.ours.example'],
    ['<SRS0=HHH=TT=example.net=joe@ours.example>', 'SRS0=HHH=TT=example.net=joe@ours.example', 'ours.example'],
    ['<"john smith"@ours.example>', '"john smith"@ours.example', 'ours.example'],
    ['<user@xn--bcher-kva.example>', 'user@xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['<Postmaster>', 'postmaster', null],
    ["<o'hara@ours.example>", "o'hara@ours.example", 'ours.example'],
  ];
  for (const [arg, address, domain] of ok) {
    const r = parseRcptArgument(arg);
    assert.ok(r.ok, `${arg}: ${r.ok ? '' : r.reason}`);
    assert.equal(r.address, address);
    assert.equal(r.domain, domain);
  }
  const withParams = parseRcptArgument('<user@ours.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@ours.example');
  assert.ok(withParams.ok);
  assert.equal(withParams.params, 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@ours.example');
});

test('non-ASCII letters in the local part need SMTPUTF8; look-alikes and invisible characters never pass', () => {
  assert.equal(parseRecipientPath('jos\u00e9@ours.example').ok, false);
  const utf = parseRecipientPath('jos\u00e9@ours.example', { utf8: true });
  assert.ok(utf.ok && utf.local === 'jos\u00e9');
  assert.ok(parseRecipientPath('\u7528\u6237@ours.example', { utf8: true }).ok);
  for (const trick of [
    'a\uff20b@ours.example',
    'a\ufe6bb@ours.example',
    'a\u200db@ours.example',
    'a\u202eb@ours.example',
    'a\u00a0b@ours.example',
  ]) {
    assert.equal(parseRecipientPath(trick, { utf8: true }).ok, false, JSON.stringify(trick));
  }
  assert.equal(parseRecipientPath('user@b\u00fccher.example', { utf8: true }).ok, false);
});

test('splitPathArgument keeps the path verbatim and the parameters apart', () => {
  assert.deepEqual(splitPathArgument('<a@b.example> SIZE=10 BODY=8BITMIME'), { path: 'a@b.example', params: 'SIZE=10 BODY=8BITMIME' });
  assert.deepEqual(splitPathArgument(' <>'), { path: '', params: '' });
  assert.deepEqual(splitPathArgument('<"a>b"@c.example>'), { path: '"a>b"@c.example', params: '' });
  assert.equal(splitPathArgument('a@b.example'), null);
  assert.equal(splitPathArgument('<a@b.example>junk'), null);
});

test('property: whatever the parser accepts is one plain local@domain that re-parses to itself', async () => {
  const fc = (await import('fast-check')).default;
  // Strings biased towards the characters that matter: routing punctuation, quotes, dots, look-alikes.
  const alphabet = fc.constantFrom(...'aZ09.-_+=%!@:,"\\<>[]() |/\u3002\uff20\u200d\u00e9?'.split(''));
  const path = fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join(''));
  fc.assert(
    fc.property(path, fc.boolean(), (p, utf8) => {
      const r = parseRcptArgument(`<${p}>`, { utf8 });
      if (!r.ok) return;
      if (r.domain === null) {
        assert.equal(r.address, 'postmaster');
        return;
      }
      const unquoted = r.local.startsWith('"') ? r.local.slice(1, -1) : r.local;
      assert.doesNotMatch(unquoted, /[@%!\\"|<>[\]:,()\x00-\x1f]/, p);
      assert.match(r.domain, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/, p);
      assert.equal(r.address.split('@').length, 2, p);
      const again = parseRcptArgument(`<${r.address}>`, { utf8 });
      assert.ok(again.ok && again.address === r.address, p);
    }),
    { numRuns: 20000 },
  );
});
