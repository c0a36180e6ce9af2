/**
 * How fast `peergroup` starts and how much memory a short command takes, against `node -e 0` in the same run: wall
 * time (spawn to exit) and peak RSS, the median of --runs runs each, from the build (production: its bundle in
 * packages/cli/dist/bundle; and dist/ module by module, as before the bundle) and, for comparison, from the sources through tsx (what every start cost before the build step). Goal: --help <= 3x node.
 *   node --conditions=source --import tsx bench/cli/run.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assertBundled, assertRanFromDist, bin, buildDist, fromDist, median, productionEnv } from '../support/production.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const reporter = fileURLToPath(new URL('../support/report-max-rss.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const rssFile = join(dir, 'maxrss');

interface Case {
  name: string;
  /** node's arguments after the (optional) reporter preload. */
  args: string[];
  fromDist: boolean;
  /** dist/ module by module (PEERGROUP_BUNDLE=0) rather than the bundle the bin prefers. */
  unbundled?: boolean;
}
const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'], fromDist: false },
  { name: 'peergroup --help', args: [bin, '--help'], fromDist: true },
  { name: 'peergroup onionmx route --help', args: [bin, 'onionmx', 'route', '--help'], fromDist: true },
  { name: 'peergroup onionmx route x@y --no-srv', args: [bin, 'onionmx', 'route', 'x@y', '--no-srv'], fromDist: true },
  { name: 'peergroup --help (dist, unbundled)', args: [bin, '--help'], fromDist: true, unbundled: true },
  {
    name: 'peergroup onionmx route --help (dist, unbundled)',
    args: [bin, 'onionmx', 'route', '--help'],
    fromDist: true,
    unbundled: true,
  },
  {
    name: 'peergroup onionmx route x@y --no-srv (dist, unbundled)',
    args: [bin, 'onionmx', 'route', 'x@y', '--no-srv'],
    fromDist: true,
    unbundled: true,
  },
  { name: 'peergroup --help (sources, tsx)', args: ['--conditions=source', bin, '--help'], fromDist: false },
  {
    name: 'peergroup onionmx route x@y --no-srv (sources, tsx)',
    args: ['--conditions=source', bin, 'onionmx', 'route', 'x@y', '--no-srv'],
    fromDist: false,
  },
];

function once(c: Case, measureRss: boolean): { ms: number; rssKiB: number } {
  const args = measureRss ? ['--import', reporter, ...c.args] : c.args;
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env: productionEnv({ PEERGROUP_BENCH_MAXRSS_FILE: rssFile, PEERGROUP_LOG_LEVEL: 'error', PEERGROUP_BUNDLE: c.unbundled ? '0' : '1' }),
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 && !(c.name.includes('x@y') && r.status === 1)) throw new Error(`${c.name}: exit ${r.status}\n${r.stderr}`);
  if (c.fromDist) assertRanFromDist(r.stderr, c.name);
  if (c.fromDist && !c.unbundled) assertBundled(c.name);
  return { ms, rssKiB: measureRss ? Number(readFileSync(rssFile, 'utf8')) : 0 };
}

buildDist();
// Wall time without the preload (it costs a module load); peak RSS in separate runs with it. Runs interleave the
// cases so that a burst of load on the machine hits all of them alike.
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const rss = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (const c of cases) await fromDist(() => once(c, false)); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    wall.get(c.name)!.push((await fromDist(() => once(c, false))).ms);
    rss.get(c.name)!.push((await fromDist(() => once(c, true))).rssKiB);
  }
}
rmSync(dir, { recursive: true, force: true });

const baseMs = median(wall.get('node -e 0')!);
const baseRss = median(rss.get('node -e 0')!);
const width = Math.max(...cases.map((c) => c.name.length));
console.log(`# median of ${runs} runs; ratios against node -e 0 in this run`);
console.log(
  `${'command'.padEnd(width)}  ${'wall ms'.padStart(8)}  ${'x node'.padStart(6)}  ${'max RSS MB'.padStart(10)}  ${'x node'.padStart(6)}`,
);
for (const c of cases) {
  const ms = median(wall.get(c.name)!);
  const kib = median(rss.get(c.name)!);
  console.log(
    `${c.name.padEnd(width)}  ${ms.toFixed(0).padStart(8)}  ${(ms / baseMs).toFixed(2).padStart(6)}  ${(kib / 1024).toFixed(1).padStart(10)}  ${(kib / baseRss).toFixed(2).padStart(6)}`,
  );
}
const helpRatio = median(wall.get('peergroup --help')!) / baseMs;
console.log(`\ngoal: peergroup --help <= 3x node -e 0 wall: ${helpRatio.toFixed(2)}x ${helpRatio <= 3 ? 'met' : 'NOT met'}`);
