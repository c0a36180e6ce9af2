// Addresses as Postfix hands them to the socketmap (exactly as the client wrote them): case folding, the
// recipient delimiter, the domain's trailing dot, and everything that can never be one of our addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress, isValidLocalPart, loginName } from '../src/mail/addresses.ts';

test('local part and domain are folded to lower case; +tag is split off and kept with its delimiter', () => {
  assert.deepEqual(parseAddress('Bob+News@Example.ORG', '+'), { local: 'bob', extension: '+News'.toLowerCase(), domain: 'example.org' });
  assert.deepEqual(parseAddress('alice@example.org.', '+'), { local: 'alice', extension: '', domain: 'example.org' });
  // Only the first delimiter splits: the rest belongs to the extension.
  assert.deepEqual(parseAddress('bob+a+b@example.org', '+'), { local: 'bob', extension: '+a+b', domain: 'example.org' });
  assert.deepEqual(parseAddress('first.last-x_y@sub.example.org', '+'), {
    local: 'first.last-x_y',
    extension: '',
    domain: 'sub.example.org',
  });
});

test('another delimiter, or none: the plus sign is then not a separator (and not a valid local part)', () => {
  assert.deepEqual(parseAddress('bob-news@example.org', '-'), { local: 'bob', extension: '-news', domain: 'example.org' });
  assert.equal(parseAddress('bob+news@example.org', ''), undefined);
  assert.deepEqual(parseAddress('bob@example.org', ''), { local: 'bob', extension: '', domain: 'example.org' });
});

test('what can never be ours is undefined, not a guess', () => {
  for (const key of [
    '',
    'bob',
    '@example.org',
    'bob@',
    '+tag@example.org',
    'a b@example.org',
    'a@b@example.org',
    '.bob@example.org',
    'bob.@example.org',
    'bob@example',
    'bob@-x.org',
    'bob@exa_mple.org',
    `${'a'.repeat(65)}@example.org`,
    'bøb@example.org',
    '"bob"@example.org',
  ]) {
    assert.equal(parseAddress(key, '+'), undefined, JSON.stringify(key));
  }
});

test('local parts of accounts and aliases; the Dovecot login name', () => {
  assert.equal(isValidLocalPart('a'), true);
  assert.equal(isValidLocalPart('a'.repeat(64)), true);
  assert.equal(isValidLocalPart('a'.repeat(65)), false);
  assert.equal(isValidLocalPart('Bob'), false, 'stored in lower case only');
  assert.equal(loginName('bob', 'example.org'), 'bob@example.org');
});
