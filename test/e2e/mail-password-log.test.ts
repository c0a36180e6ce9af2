// The attack: peergroup is down (or answers garbage) while mail clients keep logging in. Whatever Dovecot writes
// to its log files and its stderr must never contain a password — with the configuration we ship, plus the
// verbose logging operators switch on while debugging (auth_verbose; auth_debug stays off: it is documented to
// print every request, and auth_debug_passwords is the explicit switch for passwords).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { imapLogin, pop3Login } from '@peergroup/test-support/dovecot';
import { startMailStack, DOMAIN, type MailStack } from './mail-setup.ts';

const PW = 'alice tulip mirror orbit';

/** Every file under `dir` (Dovecot's log_path, base_dir and state) as text. */
async function allText(dir: string): Promise<string> {
  let out = '';
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const s = await stat(p).catch(() => undefined);
    if (!s) continue;
    if (s.isDirectory()) out += await allText(p);
    else if (s.isFile() && s.size < 50_000_000) out += await readFile(p, 'latin1').catch(() => '');
  }
  return out;
}

describe("no password ever reaches Dovecot's log", () => {
  let m: MailStack;
  before(async () => {
    m = await startMailStack({ dovecotSettings: { auth_verbose: 'yes' } });
    const ctx = m.svc!.context;
    const alice = await ctx.store.createUser('alice', PW);
    await ctx.mail!.setPassword(alice.userId, PW);
  });
  after(async () => m?.close());

  test('logins while peergroup is stopped: temporary failures, and the marker password is nowhere in the log or stderr', async () => {
    assert.deepEqual(await imapLogin(m.dv.imapPort, `alice@${DOMAIN}`, PW), { ok: true }, 'the set-up works');
    await m.stopPeergroup();
    const markers: string[] = [];
    for (const user of [`alice@${DOMAIN}`, `nobody@${DOMAIN}`]) {
      const marker = `Marker${randomBytes(6).toString('hex')}`;
      markers.push(marker);
      const r = await imapLogin(m.dv.imapPort, user, marker);
      assert.equal(r.ok, false);
      assert.match(r.error!, /UNAVAILABLE|Temporary authentication failure/i, `${user}: ${r.error}`);
      const p = await pop3Login(m.dv.pop3Port, user, `${marker}pop`);
      assert.equal(p.ok, false);
      assert.match(p.error!, /temporary|try again/i, `${user}: ${p.error}`);
      markers.push(`${marker}pop`);
    }
    // The failure path ran and was logged (so the absence below means something).
    const log = await m.dv.log();
    assert.match(log, /passdb|dict/i, log.slice(-2000));
    const everything = (await allText(m.dv.dir)) + m.dv.output();
    for (const marker of markers)
      assert.equal(
        everything.includes(marker),
        false,
        `${marker} is in Dovecot's output:\n${everything
          .split('\n')
          .filter((l) => l.includes(marker))
          .join('\n')}`,
      );
    await m.start();
  });

  test('a peer on the passdb address that answers garbage and then hangs up: a temporary failure, no password logged', async () => {
    await m.stopPeergroup();
    // Whatever listens where peergroup should: here something that speaks nonsense.
    const servers: Server[] = [];
    for (const addr of garbageTargets(m)) {
      const s = createServer((c) => {
        c.on('error', () => undefined);
        c.end('Xgarbage\t\x01\n', () => c.destroy());
      });
      await new Promise<void>((r, j) => (addr.path ? s.listen(addr.path, r) : s.listen(addr.port, '127.0.0.1', r)).once('error', j));
      servers.push(s);
    }
    const marker = `Marker${randomBytes(6).toString('hex')}`;
    const r = await imapLogin(m.dv.imapPort, `alice@${DOMAIN}`, marker);
    assert.equal(r.ok, false);
    assert.match(r.error!, /UNAVAILABLE|Temporary authentication failure/i, r.error);
    for (const s of servers) await new Promise((r) => s.close(r));
    const everything = (await allText(m.dv.dir)) + m.dv.output();
    assert.equal(
      everything.includes(marker),
      false,
      everything
        .split('\n')
        .filter((l) => l.includes(marker))
        .join('\n'),
    );
    await m.start();
    assert.deepEqual(await imapLogin(m.dv.imapPort, `alice@${DOMAIN}`, PW), { ok: true });
  });
});

/** Where Dovecot's auth reaches peergroup: the dict socket and, when configured, the passdb HTTP address. */
function garbageTargets(m: MailStack): { path?: string; port?: number }[] {
  const mb = m.config.mailboxes as { dovecot: { dictSocket: string; passdb?: { listen: string } } };
  const out: { path?: string; port?: number }[] = [{ path: mb.dovecot.dictSocket }];
  if (mb.dovecot.passdb) out.push({ port: Number(mb.dovecot.passdb.listen.split(':').pop()) });
  return out;
}
