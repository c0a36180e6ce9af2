// A private, throw-away PostgreSQL 15 cluster for tests: initdb into a temp dir, listen on a free loopback port,
// unix socket inside the temp dir, trust auth (loopback only). PostgreSQL refuses to run as root, so when the tests
// run as root the cluster is owned by and run as the `postgres` system user (setpriv execs, so the pid we hold is
// the postmaster itself and signals reach it directly).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { requirePrerequisite } from './prerequisites.ts';

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` — the maintenance database; use createDatabase for your own. */
  url: string;
  port: number;
  /** The directory of its unix socket: `postgres://postgres@/DB?host=DIR` reaches it without TCP. */
  socketDir: string;
  /** Milliseconds spent in initdb + start-up (for curiosity and for tuning test timeouts). */
  startupMs: number;
  stop(): Promise<void>;
}

const PG_BIN = process.env.PEERGROUP_PG_BIN ?? '/usr/lib/postgresql/15/bin';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function lookupPostgresUser(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root but there is no `postgres` system user');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Wraps argv so it runs as `postgres` when we are root. */
function asPgUser(argv: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [argv[0]!, argv.slice(1)];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...argv]];
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test file dies without running its after() hooks: immediate shutdown, then remove the dir.
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGQUIT');
      } catch {
        /* already gone */
      }
    }
    for (const d of dirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  });
}

async function waitReady(url: string, child: ChildProcess, logTail: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${logTail()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not become ready: ${String(err)} ${logTail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  requirePrerequisite('PostgreSQL 15');
  const t0 = Date.now();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'peergroup-pg-'));
  dirs.add(dir);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { uid, gid } = lookupPostgresUser();
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = asPgUser([
    join(PG_BIN, 'initdb'),
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', cwd: dir });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }

  // A port from the kernel can be taken by someone else before postgres binds it: retry a few times.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const [cmd, args] = asPgUser([
      join(PG_BIN, 'postgres'),
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=64MB',
    ]);
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let log = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      log = (log + s).slice(-4000);
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitReady(url, child, () => log);
    } catch (err) {
      child.kill('SIGQUIT');
      live.delete(child);
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
      throw err;
    }
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      socketDir: dir,
      startupMs: Date.now() - t0,
      stop() {
        stopped ??= (async () => {
          // SIGINT = "fast" shutdown: disconnects clients, no waiting for them.
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGQUIT'), 10_000);
          await exited;
          clearTimeout(timer);
          live.delete(child);
          rmSync(dir, { recursive: true, force: true });
          dirs.delete(dir);
        })();
        return stopped;
      },
    };
  }
}

/** Creates a fresh, empty database in the cluster behind `url` and returns a URL pointing at it. */
export async function createDatabase(url: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`createDatabase: invalid database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** True when the PostgreSQL binaries are present (lets a suite skip with a clear reason instead of failing oddly). */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'postgres')) && existsSync(join(PG_BIN, 'initdb'));
}
