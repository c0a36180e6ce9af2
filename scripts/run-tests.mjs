// Runs every *.test.ts under packages/*/test and test/ with node's built-in test runner through tsx, on the TypeScript
// sources: the "source" export condition resolves every @peergroup/* package to its src/, never to a build in dist/
// that may be older.
// Arguments narrow the run to files whose path contains one of them: `npm test -- trust router`; `--unit` keeps only
// the files that need no system program (`npm run test:unit`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { checkPrerequisites, describeMissing, prerequisitesOf } from './prerequisites.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'test'].map((d) => join(root, d));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

// --unit: only the packages' own test files that need no system program (no daemon, no Tor, no browser): quick, on
// any machine; test/e2e always needs the real programs.
const unit = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => a !== '--unit');
const files = roots
  .flatMap((d) => walk(d, []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f) => !unit || (f.startsWith('packages/') && prerequisitesOf(f).length === 0))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// A missing daemon or library would otherwise show up minutes later as a test failure that reads like a bug.
const problems = checkPrerequisites(files);
if (problems.length > 0) {
  console.error('missing prerequisites of the selected tests (nothing was run):');
  for (const { prerequisite, missing, users } of problems) {
    const shown = users.slice(0, 3).join(', ') + (users.length > 3 ? `, and ${users.length - 3} more` : '');
    console.error(`  ${describeMissing(prerequisite, missing)}\n    needed by ${shown}`);
  }
  process.exit(1);
}

// Most suites wait on daemons (tor, postfix, DNS, PostgreSQL) rather than burn CPU, so run several files at once.
const concurrency = process.env.PEERGROUP_TEST_CONCURRENCY ?? '4';
const args = ['--conditions=source', '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files];

// One private Tor network for every selected file that uses test/support/tornet.ts (sharedTornet attaches to it through
// PEERGROUP_TORNET_STATE); files run alone, or with PEERGROUP_TORNET=per-file, start their own. The runner owns the tor
// processes: they are stopped when the tests end, on Ctrl-C, and (tor's __OwningControllerProcess) if the runner dies.
const env = { ...process.env };
// Through NODE_OPTIONS every node a test starts (the peergroup bin, `node --import tsx` helpers) runs the sources too.
env.NODE_OPTIONS = [env.NODE_OPTIONS, '--conditions=source'].filter(Boolean).join(' ');
let tornet;
let child;
const startup = new AbortController();
// Ctrl-C during the network's start-up aborts it; later it reaches the test runner too (same process group): forward
// it, wait for the runner to exit, then stop tor.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (!child) startup.abort();
    // A terminal's Ctrl-C already reached the test runner; a second SIGINT would make it abandon its cleanup.
    else if (sig !== 'SIGINT' && child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
const usesTornet = files.some((f) => /support\/tornet(\.ts)?['"]/.test(readFileSync(join(root, f), 'utf8')));
if (usesTornet && !env.PEERGROUP_TORNET_STATE && env.PEERGROUP_TORNET !== 'per-file') {
  // This process has no --conditions=source of its own: the hook the bin uses without a build gives it one.
  const { register } = await import('node:module');
  register('../packages/cli/bin/source-condition.mjs', import.meta.url);
  const { tsImport } = await import('tsx/esm/api');
  const { startTornet, writeTornetState } = await tsImport('../packages/tornet/src/tornet.ts', import.meta.url);
  const started = Date.now();
  const verbose = env.PEERGROUP_TORNET_VERBOSE === '1';
  process.stderr.write('# starting the shared Tor network...\n');
  try {
    tornet = await startTornet({
      handleSignals: false,
      signal: startup.signal,
      log: verbose ? (line) => process.stderr.write(`# [tornet] ${line}\n`) : undefined,
    });
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(startup.signal.aborted ? 130 : 1);
  }
  const stateFile = join(tornet.dir, 'state.json');
  writeTornetState(tornet, stateFile);
  env.PEERGROUP_TORNET_STATE = stateFile;
  process.stderr.write(`# shared Tor network ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${stateFile})\n`);
}

child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
let stopping = false;
async function finish(code) {
  if (stopping) return;
  stopping = true;
  if (tornet) {
    // Keep the node logs of a failed run; their directory is printed.
    await tornet.stop({ keepLogs: code !== 0 || undefined }).catch((err) => process.stderr.write(`tornet stop: ${err.message}\n`));
    if (code !== 0) process.stderr.write(`# tor logs of the shared network kept in ${tornet.dir}\n`);
  }
  process.exit(code);
}
child.on('exit', (code, signal) => void finish(code ?? (signal ? 1 : 0)));
