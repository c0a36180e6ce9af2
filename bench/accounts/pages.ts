// Page render cost of the accounts service against a baseline commit, both measured in one run: the baseline's
// sources (exported with `git archive` into a directory under the system temp dir, kept for the next run) and the
// candidate (the working tree, or --candidate <commit>) each serve in their own child process from the same config on
// their own SQLite database with the same users, trustees, invites, sessions, activity and mail aliases/app passwords.
// Every page in every language is requested in rounds that alternate the two servers (the order flips each round), so
// load drift on a shared machine hits both alike. Readers of en send only the lang cookie; those of other languages
// also the tz cookie of a chosen time zone.
//
//   node --conditions=source --import tsx bench/accounts/pages.ts --baseline a944fa9 [--candidate <commit>]
//        [--rounds 16] [--requests 12] [--warmup 3] [--langs en,de] [--pages dashboard,trust] [--cpu-prof DIR]
//
// ms/req is the server process's own CPU time per request (user + system, from process.cpuUsage over IPC around each
// slice of sequential requests): what rendering a page costs, not how long the request waited for one of the shared
// cores. p50 is the wall-clock latency seen by this client, for reference. ratio = candidate ÷ baseline, the median
// over rounds of that round's ratio (a round's two slices ran back to back), and the middle half of those ratios: on
// a loaded machine a ratio whose middle half straddles the goal is noise, not a finding. A page the baseline has not
// got (404) shows "-". --pages takes the names in PAGES (login, signup, signup-fail, signup-wrong-invite, dashboard,
// trust, invites, preferences, activity, sessions, mail, app-passwords, aliases, account-delete). Both trees use this checkout's node_modules (the baseline's dependency versions are not installed).
// --cpu-prof DIR: both servers run with node --cpu-prof and write their profiles to DIR/baseline and DIR/candidate.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../support/stats.ts';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    candidate: { type: 'string' },
    rounds: { type: 'string', default: '16' },
    requests: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '3' },
    langs: { type: 'string', default: 'en,de' },
    pages: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
if (!args.baseline) throw new Error('--baseline <commit> is required (e.g. --baseline a944fa9)');
const ROUNDS = Number(args.rounds);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const LANGS = args.langs.split(',').filter(Boolean);
if (!(ROUNDS >= 1 && REQUESTS >= 1)) throw new Error('--rounds and --requests must be positive numbers');

const REPO = resolve(import.meta.dirname, '../..');
const SERVER = join(import.meta.dirname, 'server.ts');
const git = (...a: string[]) => execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();

/**
 * The sources of `commit` in a directory of their own, with a node_modules whose entries point at this checkout's
 * installed packages except @peergroup/*, which point at that tree's own workspaces (else the old tree's imports would
 * resolve into the current sources). `git archive` rather than a worktree: nothing is registered in the shared .git.
 */
function exportTree(commit: string): { dir: string; sha: string } {
  const sha = git('rev-parse', '--verify', `${commit}^{commit}`);
  const dir = join(tmpdir(), `peergroup-bench-tree-${sha.slice(0, 12)}`);
  const done = join(dir, '.bench-tree-complete');
  if (existsSync(done)) return { dir, sha };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', REPO, sha, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@peergroup'), { recursive: true });
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== '@peergroup') symlinkSync(join(REPO, 'node_modules', name), join(modules, name));
  }
  const workspaces: string[] = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).workspaces ?? [];
  for (const ws of workspaces) {
    const pkg = join(dir, ws, 'package.json');
    if (!existsSync(pkg)) continue;
    const name: string = JSON.parse(readFileSync(pkg, 'utf8')).name;
    if (name.startsWith('@peergroup/')) symlinkSync(relative(join(modules, '@peergroup'), join(dir, ws)), join(modules, name));
    // A workspace's own node_modules (a dependency version npm could not hoist).
    const own = join(REPO, ws, 'node_modules');
    if (existsSync(own) && !existsSync(join(dir, ws, 'node_modules'))) symlinkSync(own, join(dir, ws, 'node_modules'));
  }
  writeFileSync(done, `${sha}\n`);
  return { dir, sha };
}

// ---- the two servers ---------------------------------------------------------------------------------------------
const PW = 'bench quartz violet harbor';
const FRIENDS = Array.from({ length: 7 }, (_, i) => `friend${i}`);

interface Server {
  label: string;
  url: URL;
  child: ChildProcess;
  dataDir: string;
  cpu(): Promise<number>;
  close(): Promise<void>;
}

async function startServer(label: string, root: string): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), `peergroup-accounts-pages-${label}-`));
  writeFileSync(join(dataDir, 'passdb.secret'), randomBytes(24).toString('hex'), { mode: 0o600 });
  const huge = { perAccount: 1_000_000, perClient: 1_000_000, window: '1m' };
  const config = {
    listen: '127.0.0.1:0',
    dataDir,
    timeZone: 'Europe/Zurich',
    mail: { domain: 'example.org' },
    rateLimits: {
      login: { ...huge, perBrowser: 1_000_000 },
      signup: { ...huge, perBrowser: 1_000_000 },
      reset: { ...huge, perBrowser: 1_000_000 },
    },
    // Logins are set-up only here; the pages read what the logins unlocked.
    trust: { pwhash: { opslimit: 1, memlimit: 8192 } },
    metrics: { listen: '127.0.0.1:0' },
    mailboxes: {
      domain: 'example.org',
      deletionWait: '7d',
      verifier: { opslimit: 1, memlimit: 8192 },
      dovecot: {
        dictSocket: join(dataDir, 'dict.sock'),
        passdb: { listen: '127.0.0.1:0', secretFile: join(dataDir, 'passdb.secret') },
        uid: process.getuid?.() || 5000,
        gid: process.getgid?.() || 5000,
      },
      postfix: { socketmap: '127.0.0.1:0' },
    },
  };
  const users = [...FRIENDS.map((name) => ({ name, password: PW })), { name: 'bench', password: PW, trustees: FRIENDS }];
  // Node's default names (pid and thread): the tsx loader's thread writes a profile of its own beside the main one.
  const prof = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(args['cpu-prof']), label)}`] : [];
  const child = spawn(
    process.execPath,
    [...prof, '--conditions=source', '--import', 'tsx', SERVER, JSON.stringify(config), JSON.stringify({ root, users })],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const ready = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY .*$/m.exec(out);
      if (m) res(m[0]);
    });
    child.once('exit', (code) => rej(new Error(`${label} server exited ${code}`)));
  });
  const pending: ((us: number) => void)[] = [];
  child.on('message', (m: { cpu: number }) => pending.shift()?.(m.cpu));
  return {
    label,
    url: new URL(ready.split(' ')[1]!),
    child,
    dataDir,
    cpu: () =>
      new Promise<number>((res) => {
        pending.push(res);
        child.send('cpu');
      }),
    close: () =>
      new Promise<void>((res) => {
        const done = () => {
          rmSync(dataDir, { recursive: true, force: true });
          res();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

// ---- HTTP with a cookie jar ----------------------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

interface Res {
  status: number;
  location: string | undefined;
  body: string;
}

class Browser {
  readonly jar = new Map<string, string>();
  constructor(
    readonly base: URL,
    readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  ) {}

  send(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Res> {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((res, rej) => {
      const req = request(
        new URL(path, this.base),
        {
          method,
          agent,
          headers: {
            'user-agent': this.userAgent,
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined
              ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }
              : {}),
          },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            const sc = r.headers['set-cookie'] ?? [];
            for (const c of sc) {
              const [pair = '', ...attrs] = c.split(';');
              const i = pair.indexOf('=');
              const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || pair.slice(i + 1) === '';
              if (gone) this.jar.delete(pair.slice(0, i));
              else this.jar.set(pair.slice(0, i), pair.slice(i + 1));
            }
            res({ status: r.statusCode ?? 0, location: r.headers.location, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.on('error', rej);
      req.end(body);
    });
  }

  /** GETs the form's page, then POSTs the form with that page's CSRF token. */
  async submit(page: string, action: string, form: Record<string, string>): Promise<Res> {
    const p = await this.send('GET', page);
    const m = /name="_csrf" value="([^"]+)"/.exec(p.body);
    if (!m) throw new Error(`no CSRF token on ${page} (${p.status})`);
    return this.send('POST', action, { _csrf: m[1]!, ...form });
  }
}

/** The same history on both servers: other sessions, failed logins, invites, app passwords and aliases. */
async function seed(s: Server): Promise<void> {
  const expect = (what: string, r: Res, ok: (st: number) => boolean) => {
    if (!ok(r.status)) throw new Error(`${s.label} set-up: ${what} answered ${r.status}`);
  };
  for (const ua of [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  ]) {
    const other = new Browser(s.url, ua);
    expect('login', await other.submit('/login', '/login', { username: 'bench', password: PW }), (st) => st === 303);
  }
  const wrong = new Browser(s.url);
  for (let i = 0; i < 2; i++)
    expect('wrong login', await wrong.submit('/login', '/login', { username: 'bench', password: 'not it' }), (st) => st === 401);
  const b = new Browser(s.url);
  expect('login', await b.submit('/login', '/login', { username: 'bench', password: PW }), (st) => st === 303);
  for (const note of ['for Sam', 'for Kim', '']) expect('invite', await b.submit('/invites', '/invites', { note }), (st) => st < 400);
  for (const name of ['phone', 'laptop'])
    expect('app password', await b.submit('/mail/app-passwords', '/mail/app-passwords', { name }), (st) => st < 400);
  for (const local of ['bench.news', 'bench.shop']) {
    expect('alias', await b.submit('/mail/aliases', '/mail/aliases', { local, domain: 'example.org' }), (st) => st < 400);
  }
  // k = 2, three days' wait: the fields of both versions of the form (days/hours now, seconds before).
  expect(
    'settings',
    await b.submit('/trust', '/trust/settings', { k: '2', waitDays: '3', waitHours: '0', wait: '259200' }),
    (st) => st < 400,
  );
}

// ---- the pages -----------------------------------------------------------------------------------------------------
interface PageSpec {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  loggedIn: boolean;
  status: number;
  form?: Record<string, string>;
  /** The table's name for it when method and path do not tell it apart. */
  label?: string;
}
const PAGES: PageSpec[] = [
  { name: 'login', method: 'GET', path: '/login', loggedIn: false, status: 200 },
  { name: 'signup', method: 'GET', path: '/signup', loggedIn: false, status: 200 },
  {
    name: 'signup-fail',
    label: 'POST /signup (all wrong)',
    method: 'POST',
    path: '/signup',
    loggedIn: false,
    status: 422,
    // Wrong invite, weak password, repeat differs: refused before any Argon2id on either tree. A one-pass check
    // looks the invite up and counts the failure too; a password-first one stops at the password.
    form: { code: 'ABCD-EFGH-JKMN-PQRS', username: 'newcomer', password: 'short', password2: 'shorter' },
  },
  {
    name: 'signup-wrong-invite',
    label: 'POST /signup (invite wrong)',
    method: 'POST',
    path: '/signup',
    loggedIn: false,
    status: 422,
    // Only the invite is wrong (in the pgi_ form every version reads): both look it up and count the failure.
    form: { code: `pgi_${'A'.repeat(32)}`, username: 'newcomer', password: PW, password2: PW },
  },
  { name: 'dashboard', method: 'GET', path: '/dashboard', loggedIn: true, status: 200 },
  { name: 'trust', method: 'GET', path: '/trust', loggedIn: true, status: 200 },
  { name: 'invites', method: 'GET', path: '/invites', loggedIn: true, status: 200 },
  { name: 'preferences', method: 'GET', path: '/preferences', loggedIn: true, status: 200 },
  { name: 'activity', method: 'GET', path: '/activity', loggedIn: true, status: 200 },
  { name: 'sessions', method: 'GET', path: '/sessions', loggedIn: true, status: 200 },
  { name: 'mail', method: 'GET', path: '/mail', loggedIn: true, status: 200 },
  { name: 'app-passwords', method: 'GET', path: '/mail/app-passwords', loggedIn: true, status: 200 },
  { name: 'aliases', method: 'GET', path: '/mail/aliases', loggedIn: true, status: 200 },
  { name: 'account-delete', method: 'GET', path: '/account/delete', loggedIn: true, status: 200 },
];
const only = args.pages?.split(',');
const pages = only ? PAGES.filter((p) => only.includes(p.name)) : PAGES;
if (pages.length === 0) throw new Error(`--pages names none of ${PAGES.map((p) => p.name).join(', ')}`);

interface Probe {
  run(): Promise<number>;
}

/** A browser per server, language and login state, reused for every page (so the session list stays the same size). */
const browsers = new Map<string, Browser>();
async function browserFor(s: Server, lang: string, loggedIn: boolean): Promise<Browser> {
  const id = `${s.label} ${lang} ${loggedIn}`;
  let b = browsers.get(id);
  if (!b) {
    b = new Browser(s.url);
    b.jar.set('lang', lang);
    // English readers keep the defaults; the others chose a time zone too, as /preferences stores it.
    if (lang !== 'en') b.jar.set('tz', 'Europe/Berlin');
    if (loggedIn) {
      const r = await b.submit('/login', '/login', { username: 'bench', password: PW });
      if (r.status !== 303) throw new Error(`${s.label}: login ${r.status}`);
    } else await b.send('GET', '/login');
    browsers.set(id, b);
  }
  return b;
}

/** One page in one language on one server, checked once (status, language); null if that server has no such page. */
async function probe(s: Server, page: PageSpec, lang: string): Promise<Probe | null> {
  const b = await browserFor(s, lang, page.loggedIn);
  let form = page.form;
  if (form) {
    const p = await b.send('GET', page.path);
    const m = /name="_csrf" value="([^"]+)"/.exec(p.body);
    if (!m) throw new Error(`${s.label}: no CSRF token on ${page.path}`);
    form = { _csrf: m[1]!, ...form };
  }
  const first = await b.send(page.method, page.path, form);
  if (first.status === 404) return null;
  if (first.status !== page.status)
    throw new Error(`${s.label}: ${page.method} ${page.path} (${lang}) answered ${first.status}, not ${page.status}`);
  if (!new RegExp(`<html[^>]* lang="${lang}"`).test(first.body)) throw new Error(`${s.label}: ${page.path} is not in ${lang}`);
  return {
    async run() {
      const t0 = performance.now();
      const r = await b.send(page.method, page.path, form);
      if (r.status !== page.status) throw new Error(`${s.label}: ${page.method} ${page.path} (${lang}) answered ${r.status}`);
      return performance.now() - t0;
    },
  };
}

interface Slice {
  cpuMs: number;
  lat: number[];
}

async function slice(s: Server, p: Probe): Promise<Slice> {
  const lat: number[] = [];
  const c0 = await s.cpu();
  for (let i = 0; i < REQUESTS; i++) lat.push(await p.run());
  const c1 = await s.cpu();
  return { cpuMs: (c1 - c0) / 1000 / REQUESTS, lat };
}

// ---- run -----------------------------------------------------------------------------------------------------------
const base = exportTree(args.baseline);
const cand = args.candidate ? exportTree(args.candidate) : { dir: REPO, sha: git('rev-parse', 'HEAD') };
const dirty = args.candidate ? 0 : git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length;
const servers = await Promise.all([startServer('baseline', base.dir), startServer('candidate', cand.dir)]);
const [old, cur] = servers as [Server, Server];
try {
  await Promise.all(servers.map(seed));
  interface Row {
    page: string;
    lang: string;
    old?: Slice[];
    cur: Slice[];
  }
  interface Pair extends Row {
    po: Probe | null;
    pc: Probe;
  }
  const pairs: Pair[] = [];
  for (const page of pages) {
    for (const lang of LANGS) {
      const [po, pc] = await Promise.all([probe(old, page, lang), probe(cur, page, lang)]);
      if (!pc) throw new Error(`candidate: ${page.path} is 404`);
      pairs.push({ page: page.label ?? `${page.method} ${page.path}`, lang, po, pc, cur: [], ...(po ? { old: [] } : {}) });
    }
  }
  // Every round visits every page, so the JIT's warming and the machine's load drift spread over all pages alike;
  // within a round each page's two slices run back to back, in an order that flips from page to page and round to round.
  const pass = async (r: number, record: boolean) => {
    for (const [i, p] of pairs.entries()) {
      const order: [Server, Probe | null, Slice[] | undefined][] = [
        [old, p.po, p.old],
        [cur, p.pc, p.cur],
      ];
      if ((r + i) % 2) order.reverse();
      for (const [s, pr, into] of order) {
        if (!pr) continue;
        const sl = await slice(s, pr);
        if (record) into!.push(sl);
      }
    }
    process.stderr.write(record ? '.' : 'w');
  };
  // Warm-up: compiled code, statement caches, Intl objects.
  for (let r = 0; r < WARMUP; r++) await pass(r, false);
  for (let r = 0; r < ROUNDS; r++) await pass(r, true);
  const rows: Row[] = pairs;
  process.stderr.write('\n');

  const fmt = (n: number | undefined, d = 2) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '-');
  const cpuOf = (ss: Slice[] | undefined) => (ss ? median(ss.map((x) => x.cpuMs)) : undefined);
  const p50Of = (ss: Slice[] | undefined) => (ss ? median(ss.flatMap((x) => x.lat)) : undefined);
  const perRound = (a: Slice[] | undefined, b: Slice[], pick: (x: Slice) => number) =>
    a ? b.map((x, i) => pick(x) / pick(a[i]!)) : undefined;
  const quartile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
  console.log(
    `accounts pages: baseline ${base.sha.slice(0, 10)} vs candidate ${args.candidate ? cand.sha.slice(0, 10) : `working tree at ${cand.sha.slice(0, 10)}` + (dirty ? ` (${dirty} changed files under packages/)` : '')}; ` +
      `SQLite, mail pages on; ${ROUNDS} alternating rounds × ${REQUESTS} sequential requests per server; ` +
      `${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    'ms/req: server CPU per request (median over rounds); ratio: candidate ÷ baseline, the median of per-round ratios, ' +
      'with the middle half of them; p50: client-side latency (ms), its ratio likewise\n',
  );
  const header = ['page', 'lang', 'old ms/req', 'new ms/req', 'ratio', 'middle half', 'old p50', 'new p50', 'p50 ratio', 'note'];
  const ratios: number[] = [];
  const table = rows.map((r) => {
    const cpu = perRound(r.old, r.cur, (x) => x.cpuMs);
    const lat = perRound(r.old, r.cur, (x) => median(x.lat));
    const ratio = cpu && median(cpu);
    if (ratio !== undefined) ratios.push(ratio);
    return [
      r.page,
      r.lang,
      fmt(cpuOf(r.old)),
      fmt(cpuOf(r.cur)),
      ratio === undefined ? '-' : `${ratio.toFixed(2)}×`,
      cpu ? `${quartile(cpu, 0.25).toFixed(2)}–${quartile(cpu, 0.75).toFixed(2)}` : '-',
      fmt(p50Of(r.old)),
      fmt(p50Of(r.cur)),
      lat ? `${median(lat).toFixed(2)}×` : '-',
      ratio === undefined ? 'new page' : ratio > 1.2 ? 'over 1.2×' : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 || i === 9 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
  const geo = Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length);
  console.log(`\ngeometric mean of the ratios: ${geo.toFixed(2)}× over ${ratios.length} page/language pairs`);
} finally {
  await Promise.all(servers.map((s) => s.close()));
  agent.destroy();
}
