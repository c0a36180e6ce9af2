// pidAlive decides whether a tor survived its starter; a zombie must not count (CI containers whose PID 1 never
// reaps keep a cleanly exited, re-parented tor as a zombie for ever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pidAlive } from '@peergroup/tornet';

test('pidAlive: a running process is alive, a zombie and a reaped pid are not', async () => {
  // sh starts a short sleep in the background, names its pid, and becomes a long `sleep`, which never reaps it: once
  // the short one ends it is a zombie. (A child ending before the exec could be reaped by sh itself: hence 1 s.)
  const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    assert.ok(pidAlive(parent.pid!), 'the sleeping parent runs');
    const until = Date.now() + 20_000;
    while (pidAlive(zombie) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pidAlive(zombie), false, 'the exited, unreaped child counts as ended');
    // kill(pid, 0) alone would have said otherwise: the pid still exists as a zombie.
    assert.doesNotThrow(() => process.kill(zombie, 0));
  } finally {
    parent.kill('SIGKILL');
  }
  await new Promise((r) => parent.once('exit', r));
  assert.equal(pidAlive(parent.pid!), false, 'a reaped pid is gone');
});
