// Coalesced lookups (mail/lookup-batch.ts): the batcher's rules on their own, then the PostgreSQL directory that
// uses them against the SQLite one (which answers one statement per lookup) on the same accounts, its consistency
// (a lookup never gets an answer read before it arrived) and its failures (every waiting socketmap request: TEMP).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { encodeNetstring, NetstringDecoder } from '@peergroup/mta-codecs';
import { silentLogger } from '@peergroup/service';
import { accountsConfigSchema, openAccountsContext, type AccountsContext } from '../src/index.ts';
import { LookupBatch } from '../src/mail/lookup-batch.ts';
import { answerSocketmap, serveSocketmap } from '../src/mail/socketmap-server.ts';
import { MailMetrics } from '../src/mail/metrics.ts';
import { Deadlines } from '../src/mail/deadlines.ts';
import { FAST_PWHASH } from '@peergroup/test-support/accounts';
import { SocketmapClient } from '@peergroup/test-support/router-clients';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';

describe('LookupBatch', () => {
  /** A run that answers each key with `key:<run number>` once released; the calls are kept. */
  const recorder = () => {
    const runs: { keys: string[]; release(err?: Error): void }[] = [];
    const run = (keys: string[]) =>
      new Promise<Map<string, string>>((resolve, reject) => {
        const n = runs.length;
        runs.push({ keys, release: (err) => (err ? reject(err) : resolve(new Map(keys.map((k) => [k, `${k}:${n}`])))) });
      });
    return { runs, run };
  };
  /** Long enough for a released query's waiters to be answered and the next query to start (two event-loop turns). */
  const turn = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };

  test('a key asked while its query is in flight waits for a query that starts after it; batches keep to maxKeys', async () => {
    const { runs, run } = recorder();
    const b = new LookupBatch(run, { maxKeys: 3, maxInFlight: 1 });
    const first = b.get('a');
    await turn();
    assert.deepEqual(
      runs.map((r) => r.keys),
      [['a']],
    );
    // Asked while the query for 'a' runs: 'a' again (must not share it) and six others.
    const later = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => b.get(k));
    await turn();
    assert.equal(runs.length, 1, 'no second query while one is in flight (maxInFlight 1)');
    runs[0]!.release();
    assert.equal(await first, 'a:0');
    await turn();
    assert.deepEqual(runs[1]!.keys, ['a', 'b', 'c']);
    for (let i = 1; i < 4; i++) {
      runs[i]!.release();
      await turn();
    }
    assert.deepEqual(
      runs.map((r) => r.keys),
      [['a'], ['a', 'b', 'c'], ['d', 'e', 'f'], ['g']],
    );
    assert.deepEqual(await Promise.all(later), ['a:1', 'b:1', 'c:1', 'd:2', 'e:2', 'f:2', 'g:3']);
  });

  test('the same key asked twice before its query starts is one key of it; a missing key answers undefined', async () => {
    const calls: string[][] = [];
    const run = async (keys: string[]) => {
      calls.push(keys);
      return new Map([['x', 1]]);
    };
    const b = new LookupBatch(run, { maxKeys: 64, maxInFlight: 2 });
    assert.deepEqual(await Promise.all([b.get('x'), b.get('x'), b.get('y')]), [1, 1, undefined]);
    assert.deepEqual(calls, [['x', 'y']]);
  });

  test('a failed query rejects every lookup of its batch, and only those', async () => {
    const { runs, run } = recorder();
    const b = new LookupBatch(run, { maxKeys: 2, maxInFlight: 1 });
    const ps = ['a', 'b', 'c'].map((k) =>
      b.get(k).then(
        (v) => ({ v }),
        (e: Error) => ({ e: e.message }),
      ),
    );
    await turn();
    runs[0]!.release(new Error('connection lost'));
    await turn();
    runs[1]!.release();
    assert.deepEqual(await Promise.all(ps), [{ e: 'connection lost' }, { e: 'connection lost' }, { v: 'c:1' }]);
  });
});

describe('mail directory on PostgreSQL, coalesced', () => {
  let pg: RunningPostgres;
  let dir: string;
  const ctxs: Record<'sqlite' | 'postgres', AccountsContext> = {} as never;
  let pgIds: Record<string, string> = {};
  let pgUrl: string;
  const PSQL = `${process.env.PEERGROUP_PG_BIN ?? '/usr/lib/postgresql/15/bin'}/psql`;

  const configFor = (sub: string, databaseUrl?: string) =>
    accountsConfigSchema.parse({
      dataDir: join(dir, sub),
      ...(databaseUrl ? { databaseUrl } : {}),
      trust: { pwhash: FAST_PWHASH, minWait: 0, defaultWait: 0 },
      mailboxes: {
        domain: 'example.org',
        verifier: { opslimit: 1, memlimit: 8192 },
        dovecot: {
          dictSocket: join(dir, sub, 'd.sock'),
          passdb: { listen: '127.0.0.1:0', secretFile: join(dir, sub, 'secret') },
          home: '/m/%d/%n',
          uid: 5000,
          gid: 5001,
        },
        postfix: { socketmap: '127.0.0.1:0' },
      },
    });

  /** The same accounts on both: live, disabled and deleted ones, aliases live and tombstoned, a catch-all domain. */
  const populate = async (ctx: AccountsContext) => {
    const mail = ctx.mail!;
    const ids: Record<string, string> = {};
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin'])
      ids[name] = (await ctx.store.createUser(name, `${name} long password here`)).userId;
    for (const id of Object.values(ids)) await mail.setPassword(id, 'x long password here');
    await ctx.store.setDisabled(ids.dave!, true);
    await ctx.db.updateTable('mail_account').set({ deleted_at: Date.now() }).where('user_id', '=', ids.erin!).execute();
    await mail.createAlias(ids.bob!, 'bobby', 'example.org', null);
    await mail.createAlias(ids.dave!, 'davey', 'example.org', null);
    await mail.createAlias(ids.carol!, 'gone', 'example.org', null);
    await mail.deleteAlias(ids.carol!, 'gone@example.org');
    await mail.addDomain('other.test');
    await mail.addDomain('plain.test');
    await mail.createAlias(ids.bob!, 'shop', 'other.test', null);
    await mail.createAlias(ids.carol!, 'old', 'other.test', null);
    await mail.deleteAlias(ids.carol!, 'old@other.test');
    await mail.createAlias(ids.alice!, 'mine', 'plain.test', null);
    await mail.setCatchAll('other.test', 'alice');
    return ids;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-lookup-batch-'));
    pg = await startPostgres();
    const url = (pgUrl = await createDatabase(pg.url, 'lookup_batch'));
    ctxs.sqlite = await openAccountsContext(configFor('s'), { logger: silentLogger() });
    ctxs.postgres = await openAccountsContext(configFor('p', url), { logger: silentLogger() });
    await populate(ctxs.sqlite);
    pgIds = await populate(ctxs.postgres);
  });
  after(async () => {
    await ctxs.sqlite?.close();
    await ctxs.postgres?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const LOCALS = ['alice', 'bob', 'carol', 'dave', 'erin', 'bobby', 'davey', 'gone', 'shop', 'old', 'mine', 'nobody', 'x'];
  const DOMAINS = ['example.org', 'Example.ORG', 'other.test', 'plain.test', 'unknown.test', 'example.org.'];
  const MAPS = ['domain', 'mailbox', 'alias', 'sender'] as const;

  test('concurrent mixed lookups answer as one statement per lookup does (SQLite), over 40 random key sets', async () => {
    // A fixed-seed generator (xorshift32): a failure is reproducible from the round number.
    let seed = 0x9e3779b9;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let round = 0; round < 40; round++) {
      const asks = Array.from({ length: 1 + rnd(150) }, () => {
        const map = MAPS[rnd(MAPS.length)]!;
        const domain = DOMAINS[rnd(DOMAINS.length)]!;
        const key = map === 'domain' ? domain : `${LOCALS[rnd(LOCALS.length)]}${rnd(3) === 0 ? '+tag' : ''}@${domain}`;
        return { map, key: rnd(4) === 0 ? key.toUpperCase() : key };
      });
      const expected = [];
      for (const a of asks) expected.push(await answerSocketmap(ctxs.sqlite.mail!.directory, a.map, a.key));
      const got = await Promise.all(asks.map((a) => answerSocketmap(ctxs.postgres.mail!.directory, a.map, a.key)));
      assert.deepEqual(
        got.map((r, i) => `${asks[i]!.map} ${asks[i]!.key} → ${r.status} ${r.text}`),
        expected.map((r, i) => `${asks[i]!.map} ${asks[i]!.key} → ${r.status} ${r.text}`),
        `round ${round}`,
      );
    }
  });

  test('an alias deleted (committed) before the lookup is sent is NOTFOUND, even while a query for it is in flight', async () => {
    const ctx = ctxs.postgres;
    const d = ctx.mail!.directory;
    const bob = pgIds.bob!;
    for (let i = 0; i < 10; i++) {
      const address = `flick${i}@example.org`;
      await ctx.mail!.createAlias(bob, `flick${i}`, 'example.org', null);
      assert.equal(await d.alias(address), 'bob@example.org');
      // A lookup of the alias whose query is written to PostgreSQL (the batcher starts it on the next turn, the same
      // turn as ours: its answer cannot have been read yet) ...
      const inFlight = d.alias(address);
      await new Promise((r) => setImmediate(r));
      // ... then the deletion, committed by another process while this event loop stands still: the query above read
      // the alias before it, and its answer waits unread in the socket ...
      const psql = spawnSync(PSQL, [pgUrl, '-qAtc', `UPDATE mail_alias SET deleted_at = 1 WHERE address = '${address}'`]);
      assert.equal(psql.status, 0, psql.stderr.toString());
      // ... then the lookup Postfix sends after the commit: sharing the query in flight (or an answer cache) says bob.
      const asked = answerSocketmap(d, 'alias', address);
      const [before, afterCommit] = await Promise.all([inFlight, asked]);
      assert.deepEqual(afterCommit, { status: 'NOTFOUND', text: '' }, `round ${i} (the query in flight said ${before})`);
    }
  });

  test('a failing batch query answers TEMP to every waiting socketmap request, never NOTFOUND', async () => {
    const ctx = ctxs.postgres;
    const d = ctx.mail!.directory;
    const server: Server = createServer((s) => serveSocketmap(s, d, new MailMetrics(new Registry()), silentLogger(), new Deadlines(5000)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    /** One connection per request, all sent at once (as many proxymap clients do). */
    const ask = (req: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = createConnection({ host: '127.0.0.1', port });
        const dec = new NetstringDecoder(10_000);
        sock.on('data', (c: Buffer) => {
          const [f] = dec.push(c);
          if (f) {
            resolve(f.toString());
            sock.destroy();
          }
        });
        sock.on('error', reject);
        sock.write(encodeNetstring(req));
      });
    const requests = Array.from(
      { length: 40 },
      (_, i) => [`mailbox u${i}@example.org`, `alias a${i}@example.org`, `sender s${i}@nowhere.test`, `domain d${i}.test`][i % 4]!,
    );
    let renamed = false;
    try {
      assert.deepEqual(
        await Promise.all(requests.map(ask)),
        requests.map(() => 'NOTFOUND '),
      );
      await ctx.db.schema.alterTable('trust_user').renameTo('trust_user_away').execute();
      await ctx.db.schema.alterTable('mail_domain').renameTo('mail_domain_away').execute();
      renamed = true;
      const answers = await Promise.all(requests.map(ask));
      assert.deepEqual(
        answers.map((a, i) => `${requests[i]} → ${a.split(' ')[0]}`),
        requests.map((r) => `${r} → TEMP`),
      );
    } finally {
      if (renamed) {
        await ctx.db.schema.alterTable('trust_user_away').renameTo('trust_user').execute();
        await ctx.db.schema.alterTable('mail_domain_away').renameTo('mail_domain').execute();
      }
      await new Promise<void>((r) => server.close(() => r()));
    }
    // And once the tables are back, the same connections answer again (no statement state outlived the errors).
    assert.equal(await d.mailbox('alice@example.org'), 'example.org/alice/');
    assert.equal(await d.alias('shop@other.test'), 'bob@example.org');
    assert.equal(await d.isOurDomain('other.test'), true);
  });

  /** Another session holding the aliases locked for `seconds`, as a stuck database; resolves once the lock is held. */
  const lockAliases = async (seconds: number) => {
    const locker = spawn(PSQL, [pgUrl, '-qAt'], { stdio: ['pipe', 'ignore', 'inherit'] });
    locker.stdin.end(`BEGIN; LOCK TABLE mail_alias IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(${seconds}); COMMIT;\n`);
    const released = new Promise((r) => locker.once('exit', r));
    await until(`SELECT count(*) FROM pg_locks WHERE relation = 'mail_alias'::regclass AND mode = 'AccessExclusiveLock' AND granted`);
    return { released, kill: () => locker.kill() };
  };
  /** Polls `countQuery` (one row, one count) until it is above 0. */
  const until = async (countQuery: string) => {
    for (;;) {
      const { rows } = await sql<Record<string, unknown>>`${sql.raw(countQuery)}`.execute(ctxs.postgres.db);
      if (Number(Object.values(rows[0]!)[0]) > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('a lookup slower than mailboxes.lookupTimeout answers TEMP (counted as such), other maps keep answering', async () => {
    const d = ctxs.postgres.mail!.directory;
    const registry = new Registry();
    const server: Server = createServer((s) => serveSocketmap(s, d, new MailMetrics(registry), silentLogger(), new Deadlines(300)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = await SocketmapClient.open((server.address() as { port: number }).port);
    // The alias query waits in PostgreSQL for 2 s.
    const lock = await lockAliases(2);
    try {
      const started = performance.now();
      assert.equal(await c.lookup('alias', 'bobby@example.org'), 'TEMP peergroup: temporary lookup failure');
      const took = performance.now() - started;
      assert.ok(took >= 290 && took < 1900, `TEMP after ${took} ms`);
      // The mailbox map does not read the aliases: its lookups answer while the alias query still waits.
      assert.equal(await c.lookup('mailbox', 'alice@example.org'), 'OK example.org/alice/');
      assert.match(await registry.metrics(), /^peergroup_mail_lookups_total\{protocol="socketmap",map="alias",result="temp"\} 1$/m);
      await lock.released;
      // Once the lock is gone the same connection gets the answer again.
      assert.equal(await c.lookup('alias', 'bobby@example.org'), 'OK bob@example.org');
    } finally {
      lock.kill();
      c.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('PostgreSQL ending the connection of a lookup in flight (a restart, an admin) is TEMP for it, and the service lives on', async () => {
    const d = ctxs.postgres.mail!.directory;
    const lock = await lockAliases(3);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const inFlight = answerSocketmap(d, 'alias', 'bobby@example.org').then(
        (r) => `answered ${r.status}`,
        (err: Error) => `failed: ${err.message}`,
      );
      // The lookup's query waits for the lock; PostgreSQL then ends that backend, as a restart or an admin would.
      await until(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%mail_alias%'`);
      const killed = spawnSync(PSQL, [
        pgUrl,
        '-qAtc',
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%mail_alias%'`,
      ]);
      assert.equal(killed.stdout.toString().trim(), 't');
      assert.match(await inFlight, /^failed: terminating connection due to administrator command/);
      // The connection's end arrives after the error: it must not become an uncaught 'error' event.
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(uncaught, []);
      await lock.released;
      assert.equal(await d.alias('bobby@example.org'), 'bob@example.org');
      assert.equal(await d.mailbox('alice@example.org'), 'example.org/alice/');
    } finally {
      process.off('uncaughtException', onUncaught);
      lock.kill();
    }
  });
});
