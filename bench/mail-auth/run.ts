// Mail authentication through the whole path and the Postfix lookups, with 100k accounts:
//   Dovecot auth-client protocol (what imap-login and Postfix SASL speak) → Dovecot auth (cache) → auth worker →
//   Lua passdb → peergroup's passdb HTTP listener → database; and peergroup's socketmap for each map. Baseline in the same run: one web
//   login's Argon2id (2 × 64 MiB) next to one mail verifier (the configured mail cost).
//   node --conditions=source --import tsx bench/mail-auth/run.ts [--seconds 5] [--postgres [--postgres-socket]] [--accounts 100000] [--maps-only] [--no-driver-table] [--maps domain,sender] [--connections 8] [--socketmap-unix]
// Every row's load but the two Argon2id baselines comes from a child process, so the event-loop columns are the
// service's and, for the socketmap rows, this process's CPU time over a row is the service's own: "per core-second" is lookups per second of peergroup CPU (all its threads), the "per core" whatever
// else the machine runs; with --postgres a second column adds the CPU time of the bench's PostgreSQL processes. Each row has its own event-loop delay histogram, taken while its
// requests run and before its latencies are sorted; populating the database is a phase of its own (the bench's, not
// request handling). The second table runs the directory's lookups directly, alternating in short slices between
// the driver as Kysely ships it (every statement prepared again per query) and openTrustDb's (statements kept:
// packages/trust/src/db-prepared.ts), on the same database in the same process. --maps-only skips Dovecot,
// --no-driver-table the second table (for a CPU profile of the service's socketmap path alone:
// node --cpu-prof --conditions=source --import tsx bench/mail-auth/run.ts --maps-only --no-driver-table).
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, mkdir, chmod, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { startAccountsFrom } from '@peergroup/accounts';
import { silentLogger } from '@peergroup/service';
import { startDovecot, dovecotPaths, mailUser, writePassdbSecret } from '@peergroup/test-support/dovecot';
import { freePort } from '@peergroup/test-support/ports';
import { SocketmapClient } from '@peergroup/test-support/router-clients';
import { AuthClient } from '../support/dovecot-auth.ts';
import { percentile as pct } from '../support/stats.ts';
import { printTable } from '../support/table.ts';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';
import { makeVerifier } from '@peergroup/accounts';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import nodePg from 'pg';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    postgres: { type: 'boolean', default: false },
    // With --postgres: reach PostgreSQL over its unix socket (a same-host deployment's default on Debian) instead of TCP.
    'postgres-socket': { type: 'boolean', default: false },
    accounts: { type: 'string', default: '100000' },
    'maps-only': { type: 'boolean', default: false },
    'no-driver-table': { type: 'boolean', default: false },
    // Only these socketmap maps (comma-separated; the first is the ratio columns' baseline), e.g. for a profile of one.
    maps: { type: 'string' },
    // Socketmap connections of the load generator (each one request at a time, as Postfix's are); more of them make
    // bigger batches on PostgreSQL (mail/lookup-batch.ts): a loaded Postfix has one per smtpd and cleanup process.
    connections: { type: 'string', default: '8' },
    // The socketmap on a UNIX socket (docs/postfix-virtual.md's default) instead of loopback TCP.
    'socketmap-unix': { type: 'boolean', default: false },
    // Internal: the child process that generates the socketmap load.
    'load-generator': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const ACCOUNTS = Number(args.accounts);
const CONNECTIONS = Number(args.connections);
const PW = 'bench password one two';
const MAIL_COST = { opslimit: 2, memlimit: 6 * 1024 * 1024 };

// Control: an idle process's own event-loop delay over the same row. What it sees too (the machine's other processes
// taking the cores) is not a stall of ours; what only the main thread sees is (our code, or its garbage collector).
// A process of its own, not a thread of this one: this process's CPU time is the service's (the per core-second
// columns), and a 1 ms event-loop monitor costs about 3% of a core on its own.
const control = args['load-generator']
  ? undefined
  : spawn(
      process.execPath,
      [
        '-e',
        `const { monitorEventLoopDelay } = require('node:perf_hooks');
         let h = monitorEventLoopDelay({ resolution: 1 }); h.enable();
         process.on('message', () => { h.disable(); process.send({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 }); h = monitorEventLoopDelay({ resolution: 1 }); h.enable(); });
         process.on('disconnect', () => process.exit(0));`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
control?.unref();
control?.channel?.unref();
const controlDelay = () =>
  new Promise<{ max: number; p99: number }>((resolve) => {
    control!.once('message', resolve);
    control!.send('next');
  });

interface LoadResult {
  rate: number;
  p50: number;
  p99: number;
  n: number;
  loopMax: number;
  loopP99: number;
  controlMax: number;
  controlP99: number;
}

/** Runs `conns` sequential request loops for `seconds` (or `limit` requests); the latencies in ms. */
async function drive(
  conns: number,
  once: (i: number, n: number) => Promise<void>,
  seconds: number,
  limit = Infinity,
): Promise<{ lat: number[]; secs: number }> {
  const lat: number[] = [];
  const until = Date.now() + seconds * 1000;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: conns }, async (_, i) => {
      while (Date.now() < until && n < limit) {
        const k = n++;
        const t = performance.now();
        await once(i, k);
        lat.push(performance.now() - t);
      }
    }),
  );
  return { lat, secs: (performance.now() - started) / 1000 };
}

/** drive() in this process; rate, latencies and event-loop delay in ms. */
async function load(
  conns: number,
  once: (i: number, n: number) => Promise<void>,
  seconds = SECONDS,
  limit = Infinity,
): Promise<LoadResult> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const { lat, secs } = await drive(conns, once, seconds, limit);
  loop.disable();
  const ctl = await controlDelay();
  return {
    rate: lat.length / secs,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    n: lat.length,
    loopMax: loop.max / 1e6,
    loopP99: loop.percentile(99) / 1e6,
    controlMax: ctl.max,
    controlP99: ctl.p99,
  };
}

/** What each map is asked: a key per request number (mailboxes with an extension and mixed case, half the alias keys real aliases). */
const keys: Record<string, (k: number) => string> = {
  domain: () => 'example.org',
  mailbox: (k) => `u${k % ACCOUNTS}+tag@Example.org`,
  alias: (k) => (k % 2 ? `a-u${(k * 7) % 100}@example.org` : `u${k % ACCOUNTS}@example.org`),
  sender: (k) => `u${k % ACCOUNTS}@example.org`,
};

type RemoteRequest =
  | {
      kind: 'socketmap';
      /** The socketmap's TCP port on 127.0.0.1, or its UNIX socket path. */
      at: number | string;
      map: string;
      seconds: number;
      connections: number;
    }
  | {
      /** Dovecot logins over 8 auth-client connections: user u(first + k mod users) for request k, at most `limit`. */
      kind: 'dovecot';
      authSocket: string;
      first: number;
      users: number;
      seconds: number;
      limit: number | null;
    };
interface RemoteResult {
  lat: number[];
  secs: number;
  failures: number;
}

// The child role: the socketmap connections (--connections), one row per request from the parent.
if (args['load-generator']) {
  let sms: SocketmapClient[] | undefined;
  let auths: AuthClient[] | undefined;
  // A client address per login, so that Dovecot's auth penalty for an address does not slow the row.
  const rip = (k: number) => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255 || 1}`;
  process.on('message', (m: RemoteRequest) => {
    void (async () => {
      if (m.kind === 'dovecot') {
        auths ??= await Promise.all(Array.from({ length: 8 }, () => AuthClient.connect(m.authSocket)));
        let failures = 0;
        const r = await drive(
          8,
          async (i, k) => {
            if (!(await auths![i]!.auth(`u${m.first + (k % m.users)}@example.org`, PW, rip(k)))) failures++;
          },
          m.seconds,
          m.limit ?? Infinity,
        );
        process.send!({ ...r, failures } satisfies RemoteResult);
        return;
      }
      sms ??= await Promise.all(Array.from({ length: m.connections }, () => SocketmapClient.open(m.at)));
      const key = keys[m.map]!;
      let failures = 0;
      const r = await drive(
        m.connections,
        async (i, k) => {
          const a = await sms![i]!.lookup(m.map, key(k));
          if (!a.startsWith('OK') && !a.startsWith('NOTFOUND')) failures++;
        },
        m.seconds,
      );
      process.send!({ ...r, failures } satisfies RemoteResult);
    })();
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const work = await mkdtemp(join(tmpdir(), 'pg-bench-mail-'));
  await chmod(work, 0o755);
  const dovecotDir = join(work, 'dovecot');
  await mkdir(dovecotDir);
  let pg: RunningPostgres | undefined;
  let databaseUrl = args.postgres ? await createDatabase((pg = await startPostgres()).url, 'bench_mail') : undefined;
  if (databaseUrl && args['postgres-socket'])
    databaseUrl = `postgres://postgres@${encodeURIComponent(pg!.socketDir)}:${pg!.port}/bench_mail`;
  const { uid, gid } = mailUser();
  const paths = dovecotPaths(dovecotDir);
  const secretFile = join(work, 'passdb.secret');
  await writePassdbSecret(secretFile);
  const passdbPort = await freePort();
  const svc = await startAccountsFrom(
    {
      listen: '127.0.0.1:0',
      dataDir: join(work, 'data'),
      ...(databaseUrl ? { databaseUrl } : {}),
      mailboxes: {
        domain: 'example.org',
        verifier: MAIL_COST,
        dovecot: {
          dictSocket: join(work, 'dict.sock'),
          passdb: { listen: `127.0.0.1:${passdbPort}`, secretFile },
          authMasterSockets: [paths.authMaster],
          home: paths.home,
          uid,
          gid,
        },
        postfix: { socketmap: args['socketmap-unix'] ? join(work, 'socketmap.sock') : '127.0.0.1:0' },
      },
    },
    { logger: silentLogger() },
  );
  const db = svc.context.db;
  const verifier = await makeVerifier(PW, MAIL_COST);
  const populateLoop = monitorEventLoopDelay({ resolution: 1 });
  populateLoop.enable();
  const populateStarted = performance.now();
  process.stderr.write(`populating ${ACCOUNTS} accounts (${svc.context.dialect})…\n`);
  const blob = Buffer.alloc(32);
  for (let start = 0; start < ACCOUNTS; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, ACCOUNTS - start) }, (_, j) => start + j);
    // better-sqlite3 is synchronous: without a turn of the event loop between batches the whole populate is one block.
    await new Promise((resolve) => setImmediate(resolve));
    await db.transaction().execute(async (trx) => {
      // Bench only: bare trust rows (lookups read id, username and disabled); real accounts come from the trust store.
      await trx
        .insertInto('trust_user')
        .values(
          rows.map((i) => ({
            id: randomBytes(16).toString('hex'),
            username: `u${i}`,
            is_admin: 0,
            disabled: 0,
            epoch: 1,
            slot_gen: 1,
            public_key: blob,
            pk_tag: blob,
            wrapped_sk: blob,
            pw_salt: blob,
            pw_opslimit: 1,
            pw_memlimit: 8192,
            pw_alg: 2,
            threshold: 1,
            wait_seconds: 0,
            user_tag: null,
          })),
        )
        .execute();
    });
  }
  const ids = await db.selectFrom('trust_user').select(['id', 'username']).execute();
  for (let i = 0; i < ids.length; i += 1000) {
    const part = ids.slice(i, i + 1000);
    await db
      .insertInto('mail_account')
      .values(part.map((r) => ({ user_id: r.id, verifier, web_only: 0, quota_bytes: null, delete_at: null, deleted_at: null })))
      .execute();
    await db
      .insertInto('mail_alias')
      .values(
        part.slice(0, 100).map((r) => ({
          address: `a-${r.username}@example.org`,
          user_id: r.id,
          kind: 'custom' as const,
          note: null,
          created_at: Date.now(),
          deleted_at: null,
        })),
      )
      .execute();
  }
  populateLoop.disable();
  const populateSeconds = (performance.now() - populateStarted) / 1000;
  const dv = args['maps-only']
    ? undefined
    : await startDovecot({
        dir: dovecotDir,
        dictSocket: join(work, 'dict.sock'),
        passdb: { port: passdbPort, secretFile },
        domain: 'example.org',
        settings: { auth_cache_size: '100M' },
      });

  const rows: string[][] = [];
  const add = (
    what: string,
    r: LoadResult,
    base?: number,
    domain?: { rate: number; perCore: number },
    cpu?: { perCore: number; withDatabase: number },
  ) =>
    rows.push([
      what,
      r.rate.toFixed(0),
      cpu ? cpu.perCore.toFixed(0) : '',
      ...(pg ? [cpu ? cpu.withDatabase.toFixed(0) : ''] : []),
      r.p50.toFixed(2),
      r.p99.toFixed(2),
      base ? (r.rate / base).toFixed(2) : '',
      domain ? (r.rate / domain.rate).toFixed(2) : '',
      domain && cpu ? (cpu.perCore / domain.perCore).toFixed(2) : '',
      r.loopMax.toFixed(1),
      r.loopP99.toFixed(1),
      r.controlMax.toFixed(1),
      r.controlP99.toFixed(1),
    ]);
  let failures = 0;

  // Baseline: the web login's Argon2id and the mail verifier, one at a time on the thread pool.
  const web = await load(1, () => makeVerifier(PW, { opslimit: 2, memlimit: 64 * 1024 * 1024 }).then(() => undefined), 3);
  const mailHash = await load(1, () => makeVerifier(PW, MAIL_COST).then(() => undefined), 3);
  add('web login Argon2id (2 × 64 MiB), 1 at a time', web);
  add(`mail verifier (${MAIL_COST.opslimit} × ${MAIL_COST.memlimit / 1048576} MiB), 1 at a time`, mailHash, web.rate);

  /**
   * CPU seconds so far of each process of the bench's PostgreSQL: its postmaster (the process started with
   * `-p PORT`) and the backends it forked. Empty without PostgreSQL (SQLite runs inside the service, in its CPU
   * time already).
   */
  const postgresCpu = (): Map<number, number> => {
    const per = new Map<number, number>();
    if (!pg) return per;
    const USER_HZ = 100;
    const stats = new Map<number, { ppid: number; cpu: number }>();
    let postmaster: number | undefined;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        stats.set(Number(entry), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / USER_HZ });
        if (postmaster === undefined && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`\0-p\0${pg.port}\0`))
          postmaster = Number(entry);
      } catch {
        // The process ended while we read it.
      }
    }
    for (const [pid, st] of stats) if (pid === postmaster || st.ppid === postmaster) per.set(pid, st.cpu);
    return per;
  };
  /** PostgreSQL CPU seconds since `before`; a backend that exited in between (a pool closing an idle connection) is left out. */
  const postgresCpuSince = (before: Map<number, number>): number => {
    let sum = 0;
    for (const [pid, cpu] of postgresCpu()) sum += cpu - (before.get(pid) ?? 0);
    return sum;
  };

  const generator = fork(fileURLToPath(import.meta.url), ['--load-generator', '--accounts', String(ACCOUNTS)], {
    execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
  });
  const socketmapAt = svc.sockets?.['mail-socketmap'] ?? svc.addresses['mail-socketmap']!.port;
  /** The child runs `req`, this process answers. */
  const send = (req: RemoteRequest) => {
    const answer = new Promise<RemoteResult>((resolve) => generator.once('message', resolve));
    generator.send(req);
    return answer;
  };
  const socketmapRequest = (map: string, seconds: number): RemoteRequest => ({
    kind: 'socketmap',
    at: socketmapAt,
    map,
    seconds,
    connections: CONNECTIONS,
  });
  /** One row of `req`; this process's CPU time over it is the service's. */
  async function remoteRow(req: RemoteRequest): Promise<LoadResult & { perCore: number; withDatabase: number }> {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const dbCpu = postgresCpu();
    const cpu = process.cpuUsage();
    const r = await send(req);
    const used = process.cpuUsage(cpu);
    const usedDb = postgresCpuSince(dbCpu);
    loop.disable();
    const ctl = await controlDelay();
    failures += r.failures;
    const serviceCpu = (used.user + used.system) / 1e6;
    return {
      rate: r.lat.length / r.secs,
      perCore: r.lat.length / serviceCpu,
      withDatabase: r.lat.length / (serviceCpu + usedDb),
      p50: pct(r.lat, 50),
      p99: pct(r.lat, 99),
      n: r.lat.length,
      loopMax: loop.max / 1e6,
      loopP99: loop.percentile(99) / 1e6,
      controlMax: ctl.max,
      controlP99: ctl.p99,
    };
  }
  /** One socketmap row, after an unmeasured second that compiles the map's code path and prepares its statements. */
  async function remoteLoad(map: string): Promise<LoadResult & { perCore: number; withDatabase: number }> {
    failures += (await send(socketmapRequest(map, 1))).failures;
    return remoteRow(socketmapRequest(map, SECONDS));
  }

  if (dv) {
    const authSocket = join(dovecotDir, 'run', 'auth-client');
    // Every account once, in order: none of them is in Dovecot's auth cache yet.
    const uncached = await remoteRow({ kind: 'dovecot', authSocket, first: 0, users: ACCOUNTS, seconds: SECONDS, limit: ACCOUNTS });
    add('Dovecot login, uncached (auth-client → Lua → HTTP → Argon2id)', uncached, web.rate);
    // The first 50 accounts, which the uncached row logged in: their logins are in the cache now.
    const cached = await remoteRow({ kind: 'dovecot', authSocket, first: 0, users: 50, seconds: SECONDS, limit: null });
    add('Dovecot login, cached (50 users)', cached, web.rate);
  }

  // The domain map answers from the configuration: the same protocol path without a query, the ceiling of the others
  // (the machine's load moves all rows of one run alike).
  let domainRow: { rate: number; perCore: number } | undefined;
  for (const map of args.maps ? args.maps.split(',').filter((m) => m in keys) : Object.keys(keys)) {
    const r = await remoteLoad(map);
    add(`socketmap ${map}`, r, undefined, domainRow, r);
    domainRow ??= r;
  }
  generator.disconnect();

  printTable(
    `mail-auth bench: ${svc.context.dialect}, ${ACCOUNTS} accounts, ${SECONDS} s per row, 8 connections (socketmap rows: ${CONNECTIONS}, over ${args['socketmap-unix'] ? 'a UNIX socket' : 'loopback TCP'})`,
    [
      'path',
      'per second',
      'per core-second',
      ...(pg ? ['per core-second with PostgreSQL'] : []),
      'p50 ms',
      'p99 ms',
      '× web login',
      '× domain map',
      '× domain map per core',
      'loop max ms',
      'loop p99 ms',
      'idle process max ms',
      'idle process p99 ms',
    ],
    rows,
  );
  process.stdout.write(
    `populate (the bench's own start-up, not request handling): ${populateSeconds.toFixed(1)} s, event loop delay max ${(populateLoop.max / 1e6).toFixed(1)} ms; failed answers ${failures}\n`,
  );

  // The driver change alone: the same MailDirectory class over Kysely's own dialect (a second connection or pool on
  // the same database) and over openTrustDb's (the service's), called directly, alternating every tenth of the row so
  // that the machine's load falls on both alike. No event-loop columns here: on SQLite these direct calls never yield
  // (better-sqlite3 is synchronous, the loops chain promises); the socketmap rows above measure that fairly.
  if (!args['no-driver-table']) {
    // What openTrustDb's pool does too: an idle connection the server drops (the bench stopping PostgreSQL) is discarded.
    const quietPool = (url: string) => new nodePg.Pool({ connectionString: url, max: 10 }).on('error', () => {});
    const directory = svc.context.mail!.directory;
    type Directory = typeof directory;
    const DirectoryClass = directory.constructor as new (db: Kysely<any>, config: Directory['config'], appKey: Buffer) => Directory;
    const plainDb = databaseUrl
      ? new Kysely<any>({ dialect: new PostgresDialect({ pool: quietPool(databaseUrl) }) })
      : new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(join(work, 'data', 'accounts.sqlite')) }) });
    // The app-password key only matters for logins, which this table does not run.
    const plainDirectory = new DirectoryClass(plainDb, directory.config, Buffer.alloc(32));
    const lookupsOf: Record<string, (d: Directory, k: number) => Promise<unknown>> = {
      mailbox: (d, k) => d.mailbox(keys.mailbox!(k)),
      alias: (d, k) => d.alias(keys.alias!(k)),
      sender: (d, k) => d.senderLogin(keys.sender!(k)),
    };
    interface Tally {
      n: number;
      secs: number;
      cpu: number;
    }
    const driverRows: string[][] = [];
    const SLICES = 10;
    for (const [map, lookup] of Object.entries(lookupsOf)) {
      const plain: Tally = { n: 0, secs: 0, cpu: 0 };
      const kept: Tally = { n: 0, secs: 0, cpu: 0 };
      for (let slice = 0; slice < 2 * SLICES; slice++) {
        const [t, d] = slice % 2 === 0 ? [plain, plainDirectory] : [kept, directory];
        const cpu = process.cpuUsage();
        const r = await drive(8, (_, k) => lookup(d, k).then(() => undefined), SECONDS / SLICES);
        const used = process.cpuUsage(cpu);
        t.n += r.lat.length;
        t.secs += r.secs;
        t.cpu += (used.user + used.system) / 1e6;
      }
      const rate = (t: Tally) => t.n / t.secs;
      const perCore = (t: Tally) => t.n / t.cpu;
      driverRows.push([
        map,
        rate(plain).toFixed(0),
        perCore(plain).toFixed(0),
        rate(kept).toFixed(0),
        perCore(kept).toFixed(0),
        (rate(kept) / rate(plain)).toFixed(2),
        (perCore(kept) / perCore(plain)).toFixed(2),
      ]);
    }
    await plainDb.destroy();
    printTable(
      `directory lookups called directly, ${svc.context.dialect}: Kysely's driver (prepared per query) vs openTrustDb's (statements kept), alternating`,
      ['map', "Kysely's driver per s", 'per core-s', 'openTrustDb per s', 'per core-s', '× rate', '× per core'],
      driverRows,
    );
  }
  await dv?.stop();
  await svc.close();
  await pg?.stop();
  await rm(work, { recursive: true, force: true });
}
