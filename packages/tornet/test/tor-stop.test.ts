// TorNode.stop() keeps its process alive until tor has exited, also when tor needs the SIGKILL after the grace. The
// stand-in "tor" is a shell script that ignores SIGTERM: a real tor that hangs in its own exit (seen in CI under load,
// tornet-cleanup.test.ts) cannot be made on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, run } from '@peergroup/test-support/proc';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const torProcessModule = fileURLToPath(new URL('../src/tor-process.ts', import.meta.url));

test('stop() awaited at the top level with a fake tor that ignores SIGTERM: the process waits for the SIGKILLed child and exits 0, not 13', {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tor-stop-'));
  try {
    const fakeTor = join(dir, 'fake-tor');
    writeFileSync(fakeTor, "#!/bin/sh\ntrap '' TERM\necho started\nwhile :; do sleep 1; done\n", { mode: 0o755 });
    const script = join(dir, 'stop.mts');
    // Nothing else holds the event loop: the stop is the last thing this process awaits, as in `peergroup dev tornet`.
    writeFileSync(
      script,
      [
        `import { TorNode } from ${JSON.stringify(torProcessModule)};`,
        `const node = new TorNode('fake', ${JSON.stringify(dir)}, '/dev/null', ${JSON.stringify(fakeTor)});`,
        'node.start();',
        'process.stdout.write("pid " + node.pid + "\\n");',
        'await new Promise((r) => setTimeout(r, 500));',
        'await node.stop();',
        'process.stdout.write("stopped running=" + node.running + "\\n");',
        '',
      ].join('\n'),
    );
    const r = await run(process.execPath, ['--conditions=source', '--import', 'tsx', script], { cwd: repoRoot });
    const pid = Number(/^pid (\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, `the script reported its child: ${r.stdout}${r.stderr}`);
    assert.equal(isAlive(pid), false, 'the fake tor is gone (SIGKILL after the grace)');
    assert.equal(r.code, 0, `exit code (13 is Node's "unsettled top-level await"):\n${r.stderr}`);
    assert.match(r.stdout, /^stopped running=false$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
