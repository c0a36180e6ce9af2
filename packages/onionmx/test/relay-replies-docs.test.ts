/**
 * docs/postfix.md's failure tables name every reply the relay can give the MTA: each SOCKS reply of the relay's
 * table word for word, and every code + enhanced code the relay's sources write. A new reply without a row fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { REPLIES } from '../src/relay/socks5.ts';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const guide = read('docs/postfix.md');
const tableRows = guide.split('\n').filter((l) => l.startsWith('|'));

test('every SOCKS reply has its own row with the exact text the MTA gets', () => {
  const failures = Object.entries(REPLIES).filter(([code]) => Number(code) !== 0);
  assert.ok(failures.length >= 16, 'the table is read, not an empty import');
  for (const [code, info] of failures) {
    const hex = `0x${Number(code).toString(16).toUpperCase().padStart(2, '0')}`;
    const row = tableRows.find((l) => l.startsWith(`| ${hex} `));
    assert.ok(row, `docs/postfix.md has no row for SOCKS reply ${hex}`);
    assert.ok(row.includes(`\`${info.smtpCode} ${info.enhanced} ${info.reason}\``), `row ${hex} must show \`${info.smtpCode} ${info.enhanced} ${info.reason}\`: ${row}`);
  }
});

test("every code the relay's own sources reply with is in the table", () => {
  const pairs = new Set<string>();
  for (const file of readdirSync(new URL('../src/relay/', import.meta.url)).filter((f) => f.endsWith('.ts'))) {
    const src = read(`packages/onionmx/src/relay/${file}`);
    for (const m of src.matchAll(/code: (\d{3}), message: `(\d\.\d\.\d) /g)) pairs.add(`${m[1]} ${m[2]}`);
    // temp(enhanced, text) in relay-delivery.ts is always a 451.
    for (const m of src.matchAll(/\btemp\('(\d\.\d\.\d)'/g)) pairs.add(`451 ${m[1]}`);
    // onion-dialer.ts's localFailure(label, reason[, enhanced]) is a 451, 4.4.1 unless it names another code.
    for (const m of src.matchAll(/localFailure\('\w+', (?:'[^']*'|`[^`]*`)(?:, '(\d\.\d\.\d)')?\)/g)) pairs.add(`451 ${m[1] ?? '4.4.1'}`);
    for (const m of src.matchAll(/code: (\d{3}), message: '(\d\.\d\.\d) /g)) pairs.add(`${m[1]} ${m[2]}`);
  }
  assert.ok(pairs.size >= 12, `the sources were scanned (${[...pairs].join(', ')})`);
  for (const pair of pairs) {
    const [code, enhanced] = pair.split(' ');
    const shown = tableRows.some((l) => l.includes(`\`${pair}`) || (l.includes(`\`${code} ${enhanced}\``)) || l.includes(`\`${code} ${enhanced} `));
    assert.ok(shown, `docs/postfix.md's failure table has no row for ${pair}`);
  }
});
