// Dovecot's dict proxy protocol, server side, for `userdb { driver = dict }` with
// `uri = proxy:<socket>:peergroup`. Lines: `H<major>\t<minor>\t<type>\t<user>\t<dict>` (hello, no answer), then
// `L<key>\t<user>` answered by `O<value>`, `N` (not found) or `F<reason>` (failure: Dovecot reports a temporary
// authentication failure). Fields are escaped as in Dovecot's str_tabescape (\001 followed by 1, t, r or n).
//
// Keys (docs/snippets/dovecot-dict-auth.conf.ext): `shared/userdb/<login>` only. The passdb is not served here: a
// passdb key would carry the password, and Dovecot logs the key of every dict lookup that fails (peergroup down,
// a timeout, a malformed answer) — the passdb is the Lua script of passdb-http.ts. A `shared/passdb/…` key from
// an old configuration is answered "not found" (never a failure, which Dovecot would log with the key) and
// peergroup warns that the configuration must change.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MailCrypt } from './mail-crypt.ts';
import { secondsSince, type MailMetrics } from './metrics.ts';
import type { Deadlines } from './deadlines.ts';
import { OrderedWriter } from '@peergroup/service';

const MAX_LINE = 64 * 1024;

export function tabUnescape(s: string): string {
  return s.includes('\x01') ? s.replace(/\x01(.)/g, (_, c: string) => ({ '1': '\x01', t: '\t', r: '\r', n: '\n', '0': '\0' })[c] ?? c) : s;
}

export function tabEscape(s: string): string {
  return s.replace(/[\x00\x01\t\r\n]/g, (c) => ({ '\x00': '\x010', '\x01': '\x011', '\t': '\x01t', '\r': '\x01r', '\n': '\x01n' })[c]!);
}

export type DictAnswer = { kind: 'found'; value: string } | { kind: 'notfound' };

/** One lookup key → its answer; throws for anything that must be a temporary failure. */
export async function answerDictKey(crypt: MailCrypt, key: string): Promise<{ map: string; answer: DictAnswer }> {
  if (key.startsWith('shared/passdb/')) return { map: 'passdb', answer: { kind: 'notfound' } };
  if (key.startsWith('shared/userdb/')) {
    const fields = await crypt.userdb(key.slice('shared/userdb/'.length));
    return { map: 'userdb', answer: fields ? { kind: 'found', value: JSON.stringify(fields) } : { kind: 'notfound' } };
  }
  throw new Error(`unknown dict key (expected shared/userdb/…)`);
}

let warnedPassdb = 0;

export function serveDict(socket: Socket, crypt: MailCrypt, metrics: MailMetrics, logger: Logger, deadlines: Deadlines): void {
  const out = new OrderedWriter(socket);
  let buf = '';
  socket.setEncoding('utf8');
  socket.setTimeout(10 * 60_000, () => socket.end());
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE && !buf.includes('\n')) {
      logger.warn('dict client sent an over-long line; closing');
      socket.destroy();
      return;
    }
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const cmd = line[0];
      if (cmd === 'H') continue;
      const reply = out.reserve();
      if (cmd !== 'L') {
        // Iteration and writes are not offered (iterate_disable = yes); a failure, so Dovecot says so in its log.
        reply(`F${tabEscape(`peergroup: dict command ${JSON.stringify(cmd ?? '')} is not supported`)}\n`);
        continue;
      }
      const key = tabUnescape(line.slice(1).split('\t')[0] ?? '');
      if (key.startsWith('shared/passdb/') && Date.now() - warnedPassdb > 60_000) {
        warnedPassdb = Date.now();
        logger.warn(
          'Dovecot sent a passdb dict lookup (its key holds a password, which Dovecot logs when a lookup fails): answered "not found"; use the Lua passdb of docs/dovecot.md',
        );
      }
      const started = process.hrtime.bigint();
      deadlines.within(answerDictKey(crypt, key), 'lookup').then(
        ({ map, answer }) => {
          metrics.series('dict', map).record(answer.kind, secondsSince(started));
          reply(answer.kind === 'found' ? `O${tabEscape(answer.value)}\n` : 'N\n');
        },
        (err: unknown) => {
          const map = key.startsWith('shared/passdb/') ? 'passdb' : key.startsWith('shared/userdb/') ? 'userdb' : 'unknown';
          metrics.series('dict', map).record('temp');
          // Never the key: a passdb key holds the password.
          logger.warn({ map, err: (err as Error).message }, 'dict lookup failed; Dovecot gets a temporary failure');
          reply(`F${tabEscape(`peergroup: temporary failure (${map})`)}\n`);
        },
      );
    }
  });
}
