// `npm start` runs `peergroup serve` under npm (through a shell), and npm does not pass a SIGTERM on to it: serve has
// to notice that its parent is gone. Real processes: a shell stands in for npm with npm's environment variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isAlive, sleep } from '@peergroup/test-support/proc';

const bin = fileURLToPath(new URL('../bin/peergroup.js', import.meta.url));

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`serve started by an npm script stops with its services when npm's process gets ${signal}`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'serve-npm-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'peergroup.yaml');
    await writeFile(
      config,
      [
        'logLevel: info',
        'metrics: { listen: "127.0.0.1:0" }',
        'routing: { srv: false }',
        'router:',
        '  tcpTable: { listen: "127.0.0.1:0", reply: direct }',
        '',
      ].join('\n'),
    );
    // `; :` keeps the shell from exec'ing serve, so serve's parent is the shell, as it is npm's `sh -c` under npm.
    const npm = spawn('sh', ['-c', `"${process.execPath}" "${bin}" serve --only router --config "${config}"; :`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, npm_lifecycle_event: 'start' },
    });
    t.after(() => {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    });
    let stderr = '';
    let servePid: number | undefined;
    createInterface({ input: npm.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      if (line.includes('every service is up')) servePid = (JSON.parse(line) as { pid: number }).pid;
    });
    let metrics: string | undefined;
    createInterface({ input: npm.stdout! }).on('line', (line) => {
      const m = /^metrics http (\S+)$/.exec(line);
      if (m) metrics = m[1];
    });
    const deadline = Date.now() + 60_000;
    while (servePid === undefined || metrics === undefined) {
      if (Date.now() > deadline) assert.fail(`serve did not come up; stderr:\n${stderr}`);
      await sleep(100);
    }
    const health = (await (await fetch(`http://${metrics}/healthz`)).json()) as { services: Record<string, { pid: number }> };
    const routerPid = health.services.router!.pid;
    assert.ok(isAlive(servePid) && isAlive(routerPid));

    process.kill(npm.pid!, signal);
    assert.ok(await gone(servePid, 15_000), `serve (pid ${servePid}) still runs after its parent got ${signal}; stderr:\n${stderr}`);
    assert.ok(await gone(routerPid, 1_000), `the router (pid ${routerPid}) still runs`);
    assert.match(stderr, /"msg":"stopped"/, 'serve stopped cleanly, as on SIGTERM');
  });
}
