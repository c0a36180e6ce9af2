// No tor outlives the process that started the network, however that process ends. Each case runs a real network in
// a child process and checks the tor pids it reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '@peergroup/test-support/proc';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tornetModule = fileURLToPath(new URL('../src/tornet.ts', import.meta.url));

async function waitAllDead(pids: number[], timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(isAlive);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The process state and where it waits (for the failure message: a zombie, a D-state wait, or a running tor). */
function procState(pid: number): string {
  try {
    const state = /^State:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
    let wchan = '?';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    } catch {
      /* not readable here */
    }
    return `state ${state}, wchan ${wchan}`;
  } catch {
    return 'gone';
  }
}

type Ending = 'SIGTERM' | 'SIGINT' | 'uncaught exception' | 'SIGKILL';

/**
 * `hung`: that node's process stands for a tor that takes SIGTERM and never ends (seen in CI: an authority asleep on
 * a futex minutes after "exiting cleanly"): a wrapper shell that ignores TERM and outlives its tor.
 */
async function runCase(ending: Ending, deadWithinMs: number, hung?: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tornet-cleanup-'));
  const script = join(dir, 'child.mts');
  const wrapper = join(dir, 'tor-wrapper');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      'case "$*" in',
      `  */${hung ?? 'none'}/torrc*) trap '' TERM; tor "$@" & wait; while :; do sleep 1; done;;`,
      'esac',
      'exec tor "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  writeFileSync(
    script,
    [
      `import { startTornet } from ${JSON.stringify(tornetModule)};`,
      `const net = await startTornet({ dir: ${JSON.stringify(join(dir, 'net'))}${hung ? `, torBinary: ${JSON.stringify(wrapper)}` : ''} });`,
      'process.stdout.write(JSON.stringify({ pids: net.pids }) + "\\n");',
      // The exception comes once the test has seen every tor running (it says so on stdin): a timer raced that look.
      ending === 'uncaught exception'
        ? 'process.stdin.once("data", () => { throw new Error("boom"); });'
        : 'setInterval(() => undefined, 1000);',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let pids: number[] = [];
  try {
    while (!out.includes('\n')) {
      if (child.exitCode !== null) assert.fail(`child ended before its network was up:\n${err}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    pids = (JSON.parse(out.split('\n')[0]!) as { pids: number[] }).pids;
    assert.equal(pids.length, 7);
    assert.deepEqual(
      pids.filter((p) => !isAlive(p)),
      [],
      'all tor processes run before the ending',
    );
    if (ending === 'uncaught exception') child.stdin.write('throw\n');
    else child.kill(ending);
    await exited;
    if (ending === 'uncaught exception') assert.match(err, /boom/);
    const left = await waitAllDead(pids, deadWithinMs);
    // Name the survivors and show what their logs said last, so a failure here can be diagnosed from CI output.
    const described = left.map((pid) => {
      let cmd = '?';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        /* gone meanwhile */
      }
      const node = /\/net\/([a-z0-9]+)\/torrc/.exec(cmd)?.[1];
      let tail = '';
      try {
        if (node)
          tail = readFileSync(join(dir, 'net', node, 'notice.log'), 'utf8')
            .split('\n')
            .slice(-6)
            .join('\n');
      } catch {
        /* no log */
      }
      return `${pid} ${node ?? cmd} (${procState(pid)})\n${tail}`;
    });
    assert.deepEqual(described, [], `tor processes left after ${ending}`);
    // Each node says why it ended, so a slower mechanism cannot pass for the one under test.
    const why = ending === 'SIGKILL' ? /Owning controller .*exiting/ : /Catching signal TERM, exiting cleanly/;
    // The hung node's tor never had the signal (its shell took it); it ended by the owning-controller check.
    for (const node of ['auth0', 'auth1', 'auth2', 'relay0', 'relay1', 'service', 'client'].filter((n) => n !== hung)) {
      assert.match(readFileSync(join(dir, 'net', node, 'notice.log'), 'utf8'), why, `${node} after ${ending}`);
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // Should an assertion fail, do not leave tor behind for the next run either.
    for (const p of pids.filter(isAlive)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// The cases run one after another: three networks at once next to the rest of the suite on two cores left tor so
// starved that it missed the deadlines below (seen twice in full runs, never alone).
test('no tor process survives its starter', { timeout: 900_000 }, async (t) => {
  // Tor exits within a second of SIGTERM on an idle machine; the margin is for a loaded one. The notice.log check
  // tells this path apart from the owning-controller one.
  await t.test('SIGTERM: the signal handler SIGTERMs tor, then the process ends by the signal', () => runCase('SIGTERM', 60_000));
  await t.test('uncaught exception: the exit handler SIGTERMs tor', () => runCase('uncaught exception', 60_000));
  // Only SIGKILL ends the hung node's process, and only the detached reaper is left to send it (after 20 s).
  await t.test('SIGTERM: a tor that does not end on SIGTERM is SIGKILLed by the reaper the exit handler left', () =>
    runCase('SIGTERM', 60_000, 'relay1'),
  );
  // Nothing in the process can run; tor notices its __OwningControllerProcess is gone (it polls every 15 s).
  await t.test('SIGKILL: tor exits by itself once its owning process is gone', () => runCase('SIGKILL', 90_000));
});
