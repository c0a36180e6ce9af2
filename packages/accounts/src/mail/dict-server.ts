// Dovecot's dict proxy protocol, server side, for `passdb { driver = dict }` and `userdb { driver = dict }` with
// `uri = proxy:<socket>:peergroup`. Lines: `H<major>\t<minor>\t<type>\t<user>\t<dict>` (hello, no answer), then
// `L<key>\t<user>` answered by `O<value>`, `N` (not found) or `F<reason>` (failure: Dovecot reports a temporary
// authentication failure). Fields are escaped as in Dovecot's str_tabescape (\001 followed by 1, t, r or n).
//
// Keys (docs/snippets/dovecot-dict-auth.conf.ext): `shared/passdb/<login>/<password>` — the password is in the key
// so that peergroup checks it (app passwords, web-only main passwords, later the key unwrap of mailbox encryption)
// and Dovecot caches the *result* per login and password — and `shared/userdb/<login>`.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MailDirectory } from './directory.ts';
import type { MailMetrics } from './metrics.ts';
import { OrderedWriter, withDeadline } from './ordered-writer.ts';

const MAX_LINE = 64 * 1024;

export function tabUnescape(s: string): string {
  return s.includes('\x01') ? s.replace(/\x01(.)/g, (_, c: string) => ({ '1': '\x01', t: '\t', r: '\r', n: '\n', '0': '\0' })[c] ?? c) : s;
}

export function tabEscape(s: string): string {
  return s.replace(/[\x00\x01\t\r\n]/g, (c) => ({ '\x00': '\x010', '\x01': '\x011', '\t': '\x01t', '\r': '\x01r', '\n': '\x01n' })[c]!);
}

export type DictAnswer = { kind: 'found'; value: string } | { kind: 'notfound' };

/** One lookup key → its answer; throws for anything that must be a temporary failure. */
export async function answerDictKey(dir: MailDirectory, key: string): Promise<{ map: string; answer: DictAnswer }> {
  if (key.startsWith('shared/passdb/')) {
    const rest = key.slice('shared/passdb/'.length);
    const slash = rest.indexOf('/');
    // Login names never contain '/' (Dovecot's auth_username_chars), so the first one ends the login.
    if (slash <= 0) throw new Error('passdb key without /<password>: check password_key in the dict auth config');
    const ok = await dir.verifyLogin(rest.slice(0, slash), rest.slice(slash + 1));
    return { map: 'passdb', answer: ok ? { kind: 'found', value: JSON.stringify({ nopassword: 'y' }) } : { kind: 'notfound' } };
  }
  if (key.startsWith('shared/userdb/')) {
    const fields = await dir.userdb(key.slice('shared/userdb/'.length));
    return { map: 'userdb', answer: fields ? { kind: 'found', value: JSON.stringify(fields) } : { kind: 'notfound' } };
  }
  throw new Error(`unknown dict key (expected shared/passdb/… or shared/userdb/…)`);
}

export function serveDict(socket: Socket, dir: MailDirectory, metrics: MailMetrics, logger: Logger, timeoutMs: number): void {
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
      const started = process.hrtime.bigint();
      withDeadline(answerDictKey(dir, key), timeoutMs, 'lookup').then(
        ({ map, answer }) => {
          metrics.lookups.inc({ protocol: 'dict', map, result: answer.kind });
          metrics.duration.observe({ protocol: 'dict', map }, Number(process.hrtime.bigint() - started) / 1e9);
          reply(answer.kind === 'found' ? `O${tabEscape(answer.value)}\n` : 'N\n');
        },
        (err: unknown) => {
          const map = key.startsWith('shared/passdb/') ? 'passdb' : key.startsWith('shared/userdb/') ? 'userdb' : 'unknown';
          metrics.lookups.inc({ protocol: 'dict', map, result: 'temp' });
          // Never the key: a passdb key holds the password.
          logger.warn({ map, err: (err as Error).message }, 'dict lookup failed; Dovecot gets a temporary failure');
          reply(`F${tabEscape(`peergroup: temporary failure (${map})`)}\n`);
        },
      );
    }
  });
}
