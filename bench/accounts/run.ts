// Throughput of the accounts service with a logged-in session (dashboard, trust page) and of logins, next to the
// raw Argon2id rate measured in the same run with the same parameters and the same libuv thread pool.
//   node --conditions=source --import tsx bench/accounts/run.ts [--seconds 5] [--concurrency 16] [--postgres]
// Render cost of every page against another commit, in one run: pages.ts (--baseline <commit>).
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sodium from 'sodium-native';
import { fileURLToPath } from 'node:url';
import { accountsConfigSchema, openAccountsContext } from '@peergroup/accounts';
import { silentLogger } from '@peergroup/service';
import { createDatabase, startPostgres, type RunningPostgres } from '@peergroup/test-support/postgres';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    postgres: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const OPS = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
const MEM = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
const POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
/** The service's default trust.pwhashConcurrency. */
const SERVER_PWHASH = Math.max(1, availableParallelism() - 1);

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function http(url: URL, method: 'GET' | 'POST', cookie: string, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          cookie,
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function cookiesOf(res: Res): string {
  const sc = res.headers['set-cookie'] ?? [];
  return (Array.isArray(sc) ? sc : [sc]).map((c) => c.split(';')[0]).join('; ');
}

function csrfOf(res: Res): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
  if (!m) throw new Error('no CSRF token in page');
  return m[1]!;
}

interface Row {
  what: string;
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
  note: string;
  lat: number[];
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : NaN;
}

/** Runs `op` from `workers` concurrent loops for SECONDS; returns completed operations and latency percentiles (ms). */
async function load(what: string, workers: number, op: () => Promise<void>, note: string, seconds = SECONDS): Promise<Row> {
  const lat: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op();
        lat.push(performance.now() - t0);
      }
    }),
  );
  const took = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { what, ops: lat.length, seconds: took, p50: pct(lat, 50), p99: pct(lat, 99), note, lat };
}

function argon2Once(): Promise<void> {
  const out = Buffer.alloc(32);
  const salt = Buffer.alloc(sodium.crypto_pwhash_SALTBYTES);
  sodium.randombytes_buf(salt);
  return new Promise((resolve, reject) =>
    sodium.crypto_pwhash_async(
      out,
      Buffer.from('correct horse battery staple'),
      salt,
      OPS,
      MEM,
      sodium.crypto_pwhash_ALG_ARGON2ID13,
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

let pg: RunningPostgres | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'peergroup-accounts-bench-'));
try {
  let databaseUrl: string | undefined;
  if (args.postgres) {
    pg = await startPostgres();
    databaseUrl = await createDatabase(pg.url, 'accounts_bench');
  }
  const huge = { perAccount: 1_000_000, perClient: 1_000_000, window: '1m' };
  const configInput = {
    listen: '127.0.0.1:0',
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    rateLimits: { login: huge, signup: huge, reset: huge },
    trust: { pwhash: { opslimit: OPS, memlimit: MEM } },
    metrics: { listen: '127.0.0.1:0' },
  };
  // Set-up through the library on the same database, then the service in a child process.
  const setup = await openAccountsContext(accountsConfigSchema.parse(configInput), { logger: silentLogger() });
  const dialect = setup.dialect;
  try {
    const me = await setup.store.createUser('bench', 'bench quartz violet harbor');
    for (let i = 0; i < 7; i++) {
      await setup.store.createUser(`friend${i}`, 'friend quartz violet harbor');
      await setup.store.addTrustee(me, `friend${i}`);
    }
  } finally {
    await setup.close();
  }
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./server.ts', import.meta.url)), JSON.stringify(configInput)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY .*$/m.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
  });
  const [, serverUrl, metricsAddr] = ready.split(' ') as [string, string, string];
  const svc = {
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
  /** p50/p99 event-loop delay of the server process since the previous call (ms). */
  const serverLoopLag = async (): Promise<{ p50: number; p99: number }> => {
    const text = await (await fetch(`http://${metricsAddr}/metrics`)).text();
    const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
    return { p50: v('nodejs_eventloop_lag_p50_seconds'), p99: v('nodejs_eventloop_lag_p99_seconds') };
  };
  try {
    const base = new URL(serverUrl);
    const page = await http(new URL('/login', base), 'GET', '');
    const pre = cookiesOf(page);
    const loginBody = new URLSearchParams({ _csrf: csrfOf(page), username: 'bench', password: 'bench quartz violet harbor' }).toString();
    const loggedIn = await http(new URL('/login', base), 'POST', pre, loginBody);
    if (loggedIn.status !== 303) throw new Error(`login failed: ${loggedIn.status}`);
    const session = `${pre}; ${cookiesOf(loggedIn)}`;
    const dash = await http(new URL('/dashboard', base), 'GET', session);
    if (dash.status !== 200) throw new Error(`dashboard: ${dash.status}`);

    const rows: Row[] = [];
    const get = (path: string) => async () => {
      const r = await http(new URL(path, base), 'GET', session);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    };
    rows.push(await load('GET /dashboard (logged in)', CONCURRENCY, get('/dashboard'), `${CONCURRENCY} keep-alive clients`));
    rows.push(await load('GET /trust (8 slots, 7 real)', CONCURRENCY, get('/trust'), "decrypts the owner's 8 slots per request"));
    rows.push(await load('GET /static/style.css', CONCURRENCY, get('/static/style.css'), 'no session, no DB: the HTTP floor'));
    // Logins and raw Argon2id alternate in slices so that load drift on a shared machine hits both alike.
    const loginOp = async () => {
      const r = await http(new URL('/login', base), 'POST', pre, loginBody);
      if (r.status !== 303) throw new Error(`login: ${r.status}`);
    };
    const slices = 4;
    const parts: { login: Row[]; raw: Row[] } = { login: [], raw: [] };
    for (let i = 0; i < slices; i++) {
      parts.login.push(await load('POST /login', CONCURRENCY, loginOp, '', SECONDS / slices));
      parts.raw.push(await load('raw', SERVER_PWHASH, argon2Once, '', SECONDS / slices));
    }
    const merge = (what: string, rs: Row[], note: string): Row => {
      const all = rs.flatMap((r) => r.lat).sort((a, b) => a - b);
      return {
        what,
        ops: all.length,
        seconds: rs.reduce((s2, r) => s2 + r.seconds, 0),
        p50: pct(all, 50),
        p99: pct(all, 99),
        note,
        lat: all,
      };
    };
    rows.push(merge('POST /login', parts.login, 'Argon2id + rewrite of 8 slots + new session'));
    rows.push(merge(`raw crypto_pwhash_async ×${SERVER_PWHASH}`, parts.raw, `same params and concurrency as the server's limit`));
    rows.push(
      await load(
        `raw crypto_pwhash_async ×${CONCURRENCY}`,
        CONCURRENCY,
        argon2Once,
        `all ${POOL} libuv threads busy (what the limit trades away)`,
      ),
    );

    // Argon2id runs on the libuv pool: while logins saturate it, the server's event loop keeps turning.
    await serverLoopLag();
    const [during] = await Promise.all([
      load('GET /trust during 8 parallel logins', 4, get('/trust'), ''),
      load('(8 parallel logins)', 8, loginOp, ''),
    ]);
    const lag = await serverLoopLag();
    during.note = `server event-loop delay p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms`;
    rows.push(during);

    await svc.close();

    const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
    console.log(
      `accounts bench: ${dialect}, server in its own process, ${SECONDS} s per row, concurrency ${CONCURRENCY}, ` +
        `${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(1)}, UV_THREADPOOL_SIZE=${POOL}`,
    );
    console.log(`Argon2id: opslimit ${OPS}, memlimit ${MEM / 1024 / 1024} MiB (libsodium INTERACTIVE)\n`);
    const header = ['operation', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'note'];
    const table = rows.map((r) => [r.what, String(r.ops), fmt(r.ops / r.seconds), fmt(r.p50), fmt(r.p99), r.note]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of table) console.log(line(r));
    const login = rows.find((r) => r.what === 'POST /login')!;
    const rawRow = rows.find((r) => r.what.startsWith('raw'))!;
    const rawRate = rawRow.ops / rawRow.seconds;
    console.log(
      `\nlogins/s ÷ raw Argon2id/s at the same concurrency = ${fmt(login.ops / login.seconds / rawRate, 2)} ` +
        '(1.00 would mean Argon2id is the only cost of a login; the service adds the slot rewrite and the session)',
    );
  } finally {
    await svc.close();
  }
} finally {
  agent.destroy();
  await pg?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
