/**
 * docs/postfix.md's failure tables name every reply the relay can give the MTA. The replies are tables in the code —
 * Tor's SOCKS replies (socks5.ts), the dialer's own failures (onion-dialer.ts), the client failures in the relay's
 * voice (@peergroup/smtp-client's TROUBLE) and the relay's own replies (relay-replies.ts) — and this test enumerates
 * them: a new row without a row in the guide fails here, and so does a reply written outside the tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { TROUBLE } from '@peergroup/smtp-client';
import { REPLIES } from '../src/relay/socks5.ts';
import { LOCAL_DIAL_FAILURES } from '../src/relay/onion-dialer.ts';
import { RELAY_REPLIES } from '../src/relay/relay-replies.ts';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const guide = read('docs/postfix.md');
const tableRows = guide.split('\n').filter((l) => l.startsWith('|'));

/** A failure-table row shows `code enhanced` (alone, or followed by text, or as `554 5.6.3` / `553 5.6.7` pairs). */
const documented = (code: number, enhanced: string) =>
  tableRows.some((l) => l.includes(`\`${code} ${enhanced}\``) || l.includes(`\`${code} ${enhanced} `));

test('every SOCKS reply has its own row with the exact text the MTA gets', () => {
  const failures = Object.entries(REPLIES).filter(([code]) => Number(code) !== 0);
  assert.ok(failures.length >= 16, 'the table is read, not an empty import');
  for (const [code, info] of failures) {
    const hex = `0x${Number(code).toString(16).toUpperCase().padStart(2, '0')}`;
    const row = tableRows.find((l) => l.startsWith(`| ${hex} `));
    assert.ok(row, `docs/postfix.md has no row for SOCKS reply ${hex}`);
    assert.ok(
      row.includes(`\`${info.smtpCode} ${info.enhanced} ${info.reason}\``),
      `row ${hex} must show \`${info.smtpCode} ${info.enhanced} ${info.reason}\`: ${row}`,
    );
  }
});

test("every reply of the relay's tables (dialer, client trouble, its own) has a row in the failure table", () => {
  const rows: [string, number, string][] = [
    ...Object.entries(LOCAL_DIAL_FAILURES).map(([label, enhanced]) => [`dial ${label}`, 451, enhanced] as [string, number, string]),
    ...Object.entries(TROUBLE)
      .filter(([, r]) => r.voice === 'relay')
      .map(([key, r]) => [`TROUBLE.${key}`, r.code, r.enhanced] as [string, number, string]),
    ...Object.entries(RELAY_REPLIES).map(([key, r]) => [`RELAY_REPLIES.${key}`, r.code, r.enhanced] as [string, number, string]),
  ];
  assert.ok(rows.length >= 25, `the tables were read (${rows.length} rows)`);
  const missing = rows
    .filter(([, code, enhanced]) => !documented(code, enhanced))
    .map(([key, code, enhanced]) => `${key} (${code} ${enhanced})`);
  assert.deepEqual(missing, [], `docs/postfix.md's failure table has no row for ${missing.join(', ')}`);
});

test('the documentation check can fail: a reply the guide does not show is reported', () => {
  assert.equal(documented(451, '4.9.9'), false);
  assert.equal(documented(RELAY_REPLIES.busyDestination.code, RELAY_REPLIES.busyDestination.enhanced), true);
});

test('no reply is written outside the tables (relay sources and the SMTP client)', () => {
  const dirs = [
    { dir: 'packages/onionmx/src/relay/', tables: ['relay-replies.ts', 'socks5.ts'] },
    { dir: 'packages/smtp-client/src/', tables: ['trouble.ts'] },
  ];
  const offenders: string[] = [];
  for (const { dir, tables } of dirs) {
    for (const file of readdirSync(new URL(dir, root)).filter((f) => f.endsWith('.ts') && !tables.includes(f))) {
      // Code only: comments may name codes ("the MTA gets 451 4.4.5").
      const code = read(dir + file)
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/\bcode: [2-5]\d\d\b|['"`][245]\.\d{1,3}\.\d{1,3} /g)) offenders.push(`${dir}${file}: ${m[0]}`);
    }
  }
  assert.deepEqual(offenders, [], 'a reply literal outside the tables escapes the documentation check');
});
