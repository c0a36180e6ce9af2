/**
 * Idle memory of every peergroup daemon, each started as its own `peergroup …` command from the build in dist/ with
 * the embedded defaults on free ports, against a bare node process listening on one port, in the same run. Each runs
 * from the bundle the bin prefers (packages/cli/scripts/bundle.mjs) and, as the row marked unbundled, from dist/ module
 * by module. Read from
 * /proc once start-up has settled: RSS, and PSS (pages shared with other processes split between them). `serve` is the
 * sum over its process tree (one child per service, started with the supervisor's V8 flags). Goals: each service <= 1.5x the bare
 * node RSS; all of serve <= 300 MB. accounts imports its web app with the first request, so it is measured a second
 * time after GET / and GET /login: what it holds once someone has visited.
 *   node --conditions=source --import tsx bench/footprint/run.ts [--settle-ms 4000] [--runs 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assertBundled, assertRanFromDist, bin, buildDist, fromDist, median, productionEnv } from '../support/production.ts';
import { treeMemory, type Memory } from '../support/proc-memory.ts';
import { daemonNodeFlags } from '@peergroup/cli/supervisor/services';

const { values } = parseArgs({ options: { 'settle-ms': { type: 'string', default: '4000' }, runs: { type: 'string', default: '3' } } });
const settleMs = Number(values['settle-ms']);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'bench-footprint-'));

/** A port nothing listens on: the inbound front's MX is only dialled when mail comes. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Subject {
  name: string;
  /** NODE_OPTIONS for the process (and its children): the V8 flags a deployment could set, measured beside the default. */
  nodeOptions?: string;
  /** Run dist/ module by module (PEERGROUP_BUNDLE=0) instead of its bundle: how every daemon ran before the bundle. */
  unbundled?: boolean;
  args: () => Promise<string[]>;
  /** Output that says start-up is over. */
  ready: RegExp;
  /** Run once start-up is over, before the settle time: requests the process serves before it is measured. */
  visit?: (out: string) => Promise<void>;
  fromDist: boolean;
}

const subjects: Subject[] = [
  {
    name: 'bare node, one listener',
    args: async () => ['-e', "require('node:net').createServer().listen(0, '127.0.0.1', () => console.log('listening'))"],
    ready: /listening/,
    fromDist: false,
  },
  {
    name: 'onionmx router',
    args: async () => [
      bin,
      'onionmx',
      'router',
      '--tcp-table',
      '127.0.0.1:0',
      '--socketmap',
      '127.0.0.1:0',
      '--exim',
      '127.0.0.1:0',
      '--reply',
      'relay',
      '--no-srv',
    ],
    ready: /"started"/,
    fromDist: true,
  },
  {
    name: 'onionmx relay',
    args: async () => [bin, 'onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--smtp', '127.0.0.1:0', '--no-srv'],
    ready: /"started"/,
    fromDist: true,
  },
  {
    name: 'onionmx inbound',
    args: async () => [
      bin,
      'onionmx',
      'inbound',
      '--listen',
      '127.0.0.1:0',
      '--mx',
      `127.0.0.1:${await closedPort()}`,
      '--domain',
      'example.org',
    ],
    ready: /"started"/,
    fromDist: true,
  },
  {
    name: 'accounts serve',
    args: async () => [bin, 'accounts', 'serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'accounts')],
    ready: /"started"|listening/i,
    fromDist: true,
  },
  {
    name: 'accounts serve, after one page request',
    args: async () => [bin, 'accounts', 'serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'accounts-visited')],
    ready: /"started"|listening/i,
    visit: async (out) => {
      const http = /^http (\S+)$/m.exec(out)?.[1];
      if (!http) throw new Error(`accounts serve printed no http listener:\n${out}`);
      for (const path of ['/', '/login']) {
        const res = await fetch(`http://${http}${path}`);
        await res.text();
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
      }
    },
    fromDist: true,
  },
  {
    name: 'serve (whole tree)',
    args: async () => [
      bin,
      'serve',
      '--data',
      join(dir, 'serve'),
      '--metrics',
      '127.0.0.1:0',
      ...['router.tcpTable.listen', 'router.socketmap.listen', 'router.exim.listen', 'relay.lmtp', 'relay.smtp', 'accounts.listen'].flatMap(
        (k) => ['--set', `${k}=127.0.0.1:0`],
      ),
      '--set',
      'routing.srv=false',
    ],
    // The supervisor's own line once every child has started (before the supervisor: the in-process serve's).
    ready: /running.*Ctrl-C stops/,
    fromDist: true,
  },
];
// The V8 flags the supervisor gives every service process and the systemd units set (NODE_OPTIONS): each daemon
// measured with them too, and serve's supervisor itself (its children have them either way).
// Beside them, the same processes from dist/ module by module, the build as it ran before the bundle.
const unitFlags = daemonNodeFlags.join(' ');
for (const name of [
  'onionmx router',
  'onionmx relay',
  'onionmx inbound',
  'accounts serve',
  'accounts serve, after one page request',
  'serve (whole tree)',
]) {
  const s = subjects.find((x) => x.name === name)!;
  subjects.push({ ...s, name: `${name}, ${unitFlags}`, nodeOptions: unitFlags });
  subjects.push({ ...s, name: `${name}, ${unitFlags}, unbundled`, nodeOptions: unitFlags, unbundled: true });
}

async function measure(s: Subject): Promise<Memory & { processes: number }> {
  const child: ChildProcess = spawn(process.execPath, await s.args(), {
    env: productionEnv({
      PEERGROUP_LOG_FORMAT: 'json',
      PEERGROUP_LOG_LEVEL: 'info',
      PEERGROUP_CONFIG: '',
      ...(s.nodeOptions ? { NODE_OPTIONS: s.nodeOptions } : {}),
      PEERGROUP_BUNDLE: s.unbundled ? '0' : '1',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${s.name}: not ready after 60 s:\n${out}`)), 60_000);
      const check = () => {
        if (s.ready.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => reject(new Error(`${s.name}: exited ${code} before it was ready:\n${out}`)));
    });
    if (s.fromDist) assertRanFromDist(out, s.name);
    if (s.fromDist && !s.unbundled) assertBundled(s.name);
    await s.visit?.(out);
    // Start-up garbage is collected and lazy work (map watchers, first timers) has run by then.
    await new Promise((r) => setTimeout(r, settleMs));
    return treeMemory(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(undefined)));
  }
}

buildDist();
const results = new Map<string, (Memory & { processes: number })[]>(subjects.map((s) => [s.name, []]));
for (let i = 0; i < runs; i++) for (const s of subjects) results.get(s.name)!.push(await fromDist(() => measure(s)));
rmSync(dir, { recursive: true, force: true });

const mb = (kib: number) => (kib / 1024).toFixed(1);
const row = (name: string) => {
  const rs = results.get(name)!;
  return { rss: median(rs.map((r) => r.rssKiB)), pss: median(rs.map((r) => r.pssKiB)), processes: rs[0]!.processes };
};
const base = row(subjects[0]!.name);
const width = Math.max(...subjects.map((s) => s.name.length));
console.log(`# idle memory ${settleMs} ms after start-up, median of ${runs} runs; ratios against the bare node listener in this run`);
console.log(
  `${'process'.padEnd(width)}  ${'procs'.padStart(5)}  ${'RSS MB'.padStart(7)}  ${'x node'.padStart(6)}  ${'PSS MB'.padStart(7)}  ${'x node'.padStart(6)}`,
);
const goals: string[] = [];
for (const s of subjects) {
  const r = row(s.name);
  console.log(
    `${s.name.padEnd(width)}  ${String(r.processes).padStart(5)}  ${mb(r.rss).padStart(7)}  ${(r.rss / base.rss).toFixed(2).padStart(6)}  ${mb(r.pss).padStart(7)}  ${(r.pss / base.pss).toFixed(2).padStart(6)}`,
  );
  if (s.name.startsWith('serve')) goals.push(`serve <= 300 MB RSS: ${mb(r.rss)} MB ${r.rss <= 300 * 1024 ? 'met' : 'NOT met'}`);
  else if (s.fromDist)
    goals.push(`${s.name} <= 1.5x node RSS: ${(r.rss / base.rss).toFixed(2)}x ${r.rss <= 1.5 * base.rss ? 'met' : 'NOT met'}`);
}
console.log(`\n${goals.join('\n')}`);
