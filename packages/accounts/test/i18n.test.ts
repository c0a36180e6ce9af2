import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOGUES, I18n, LANGS, MessageFormat, argumentNames, en, negotiateLang, translateProblem } from '../src/i18n/index.ts';
import { checkPasswordStrength } from '../src/password-strength.ts';

test('every catalogue has exactly the English keys, the same arguments per message, and parses', () => {
  const keys = Object.keys(en).sort();
  for (const lang of LANGS) {
    const cat = CATALOGUES[lang] as Record<string, string>;
    const have = Object.keys(cat).sort();
    assert.deepEqual(
      have.filter((k) => !keys.includes(k)),
      [],
      `${lang} has keys English does not`,
    );
    assert.deepEqual(
      keys.filter((k) => !have.includes(k)),
      [],
      `${lang} lacks keys`,
    );
    for (const k of keys) {
      assert.deepEqual(argumentNames(cat[k]!), argumentNames((en as Record<string, string>)[k]!), `${lang} ${k}: arguments`);
      assert.ok(cat[k]!.trim(), `${lang} ${k} is empty`);
    }
  }
});

test('no "(s)" plurals in any catalogue', () => {
  for (const lang of LANGS)
    for (const [k, v] of Object.entries(CATALOGUES[lang])) assert.doesNotMatch(v, /\w\((s|e|n|i)\)/, `${lang} ${k}`);
});

test('plural categories come from Intl.PluralRules: French 0 and 1 are "one", English 0 is "other"', () => {
  const free = (lang: 'en' | 'de' | 'fr' | 'it', n: number) => new I18n(lang, 'UTC').t('trust.free', { free: n, slots: 8 });
  assert.equal(free('fr', 0), '0 place libre sur 8.');
  assert.equal(free('fr', 1), '1 place libre sur 8.');
  assert.equal(free('fr', 2), '2 places libres sur 8.');
  assert.equal(free('en', 0), '0 of 8 places free.');
  assert.equal(free('it', 0), '0 posti liberi su 8.');
  assert.equal(free('it', 1), '1 posto libero su 8.');
  assert.equal(free('it', 2), '2 posti liberi su 8.');
  const de = new I18n('de', 'UTC');
  assert.equal(de.t('invites.left', { n: 0 }), 'Du kannst keine weiteren Einladungscodes erstellen.');
  assert.equal(de.t('invites.left', { n: 1 }), 'Du kannst noch einen Einladungscode erstellen.');
  assert.equal(de.t('invites.left', { n: 2 }), 'Du kannst noch 2 Einladungscodes erstellen.');
  const fr = new I18n('fr', 'UTC');
  assert.match(fr.t('mail.resetRequested.body', { time: 'x', k: 1 }), /Une confirmation est nécessaire/);
  assert.match(fr.t('mail.resetRequested.body', { time: 'x', k: 3 }), /3 confirmations sont nécessaires/);
});

test('message format: nested plurals, # and exact matches; a missing argument or a bad message is an error', () => {
  const m = new MessageFormat('{a, plural, =0 {none} one {# thing of {b}} other {{b}: # things}}', 'en');
  assert.equal(m.format({ a: 0, b: 'x' }), 'none');
  assert.equal(m.format({ a: 1, b: 'x' }), '1 thing of x');
  assert.equal(m.format({ a: 1200, b: 'x' }), 'x: 1,200 things');
  assert.throws(() => m.format({ a: 1 }), /argument b missing/);
  assert.throws(() => new MessageFormat('{a, plural, one {x}}', 'en'), /'other'/);
  assert.throws(() => new MessageFormat('{a, select, x {y} other {z}}', 'en'), /only plural/);
  assert.throws(() => new MessageFormat('text}', 'en'), /unbalanced/);
});

test('Accept-Language: q-values, header order on ties, region fallback, q=0 refuses, default English', () => {
  assert.equal(negotiateLang('de-CH,de;q=0.9,en;q=0.8'), 'de');
  assert.equal(negotiateLang('fr-CH'), 'fr');
  assert.equal(negotiateLang('it-IT, en;q=0.5'), 'it');
  assert.equal(negotiateLang('en;q=0.2, fr;q=0.9'), 'fr');
  assert.equal(negotiateLang('es-ES, es;q=0.9, it;q=0.4, en;q=0.3'), 'it');
  assert.equal(negotiateLang('de;q=0, fr'), 'fr');
  assert.equal(negotiateLang('fr;q=0.5, de;q=0.5'), 'fr');
  assert.equal(negotiateLang('DE-at'), 'de');
  assert.equal(negotiateLang('*'), 'en');
  assert.equal(negotiateLang('pt-BR'), 'en');
  assert.equal(negotiateLang(''), 'en');
  assert.equal(negotiateLang(undefined), 'en');
  assert.equal(negotiateLang('de;q=abc, it'), 'it');
});

test("dates in the reader's locale and chosen zone; relative times and durations through Intl", () => {
  const summer = new Date('2026-07-01T12:00:00Z');
  assert.match(new I18n('de', 'Europe/Zurich').time(summer), /01\.07\.2026, 14:00/);
  assert.match(new I18n('en', 'America/New_York').time(summer), /Jul 1, 2026, 8:00\sAM/);
  assert.match(new I18n('fr', 'Europe/Zurich').time(summer), /1 juil\. 2026, 14:00/);
  const now = () => summer.getTime();
  assert.equal(new I18n('fr', 'UTC', now).relative(new Date(summer.getTime() + 3 * 86400_000)), 'dans 3 jours');
  assert.equal(new I18n('de', 'UTC', now).relative(new Date(summer.getTime() - 2 * 3600_000)), 'vor 2 Stunden');
  assert.equal(new I18n('it', 'UTC').duration(172800), '2 giorni');
  assert.equal(new I18n('de', 'UTC').duration(3600), '1 Stunde');
  assert.equal(new I18n('en', 'UTC').wait(1), '1 second');
  assert.equal(new I18n('fr', 'UTC').wait(61), '2 minutes');
});

test('every password problem password-strength.ts can report is translated', () => {
  const de = new I18n('de', 'UTC');
  const samples = [
    'short',
    'x'.repeat(1100),
    'aliceWasHere123456',
    'password',
    'password2024!!',
    'aaaaaaaaaaaa',
    'qwertyuiop',
    'abababababab',
  ];
  const seen = new Set<string>();
  for (const pw of samples) {
    for (const p of checkPasswordStrength(pw, 'alice').problems) {
      seen.add(p);
      assert.notEqual(translateProblem(de, p), p, `untranslated: ${p}`);
    }
  }
  assert.ok(seen.size >= 7, [...seen].join(' | '));
});
