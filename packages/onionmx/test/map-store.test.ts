// No test/support/proc.ts here: it turns SIGHUP into "kill every daemon and exit", and this file sends SIGHUP to itself.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MapLoadError, MapStore, loadMaps } from '../src/routing/map-store.ts';
import { createRouteResolver } from '../src/routing/routing.ts';
import { routingConfig } from '../src/routing/routing-config.ts';
import { newOnion } from '@peergroup/test-support/onions';

const dir = mkdtempSync(join(tmpdir(), 'pg-mapstore-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string, text: string) => {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, text);
  return p;
};
/** Replace a file the way careful tools do (write elsewhere, rename over). */
const atomicWrite = (p: string, text: string) => {
  writeFileSync(`${p}.tmp`, text);
  renameSync(`${p}.tmp`, p);
};
// The store's watcher and timers do not keep a process alive (a daemon has its listeners for that); this timer does.
async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const A = newOnion();
const B = newOnion();

describe('MapStore', () => {
  it('merges several files of different formats; skipped entries do not stop loading', async () => {
    const native = file('native.map', `example.org ${A}\nbroken.example nope\n`);
    const yaml = file('peers.yml', `${B}:\n  - example.net\n  - example.org\n`);
    const store = await MapStore.open(
      [
        { path: native, format: 'native' },
        { path: yaml, format: 'yaml' },
      ],
      { strict: false, watch: false, sighup: false },
    );
    try {
      assert.equal(store.current.lookup('example.org')?.onion, A);
      assert.equal(store.current.lookup('example.net')?.onion, B);
      assert.deepEqual(
        store.current.refused.map((r) => [r.file, r.line]),
        [
          [native, 2],
          [yaml, 3],
        ],
      );
    } finally {
      store.close();
    }
  });

  it('maps configured without a format (config key or --map) are read in their inferred format', async () => {
    const yml = file('community.yml', `${A}:\n  - yaml.example\n`);
    const transport = file('transport', `postfix.example smtptor:[${B}]:2525\n`);
    const native = file('plain.map', `native.example ${B}\n`);
    // Through the routing schema, as `maps: [{ path }]` in a config file arrives.
    const { maps } = routingConfig({ maps: [{ path: yml }, { path: transport }, { path: native }, { path: yml, format: 'native' }] });
    assert.equal(maps[0]!.format, undefined);
    const map = await loadMaps(maps.slice(0, 3), true);
    assert.deepEqual(
      ['yaml.example', 'postfix.example', 'native.example'].map((d) => [map.lookup(d)?.onion, map.lookup(d)?.port]),
      [
        [A, 25],
        [B, 2525],
        [B, 25],
      ],
    );
    // An explicit format still wins: the YAML file read as native refuses its lines.
    await assert.rejects(loadMaps([maps[3]!], true), MapLoadError);
  });

  it('refuses to open under strictMaps, naming file and line, and on an unreadable file', async () => {
    const bad = file('bad.map', `ok.example ${A}\nbad.example expyuzz4wqqyqhjn.onion\n`);
    await assert.rejects(MapStore.open([{ path: bad, format: 'native' }], { strict: true, watch: false, sighup: false }), (e: unknown) => {
      return e instanceof MapLoadError && e.message.includes(`${bad}:2:`) && /v2/.test(e.message);
    });
    await assert.rejects(
      MapStore.open([{ path: join(dir, 'missing.map'), format: 'native' }], { strict: false, watch: false, sighup: false }),
      /ENOENT/,
    );
  });

  it('reloads when the file is replaced or edited in place', async () => {
    const p = file('watched.map', `one.example ${A}\n`);
    const store = await MapStore.open([{ path: p, format: 'native' }], { strict: false, watch: true, sighup: false, debounceMs: 30 });
    try {
      let reloaded = store.nextReload();
      atomicWrite(p, `two.example ${B}\n`);
      assert.equal(await withTimeout(reloaded, 5000, 'reload after rename'), true);
      assert.equal(store.current.lookup('one.example'), undefined);
      assert.equal(store.current.lookup('two.example')?.onion, B);
      reloaded = store.nextReload();
      writeFileSync(p, `three.example ${A}:2525\n`);
      assert.equal(await withTimeout(reloaded, 5000, 'reload after in-place write'), true);
      assert.equal(store.current.lookup('three.example')?.port, 2525);
    } finally {
      store.close();
    }
  });

  it('reloads on SIGHUP, and keeps the previous map when a reload fails', async () => {
    const p = file('hup.map', `first.example ${A}\n`);
    const store = await MapStore.open([{ path: p, format: 'native' }], { strict: true, watch: false, sighup: true });
    try {
      writeFileSync(p, `second.example ${B}\n`);
      let reloaded = store.nextReload();
      process.kill(process.pid, 'SIGHUP');
      assert.equal(await withTimeout(reloaded, 5000, 'SIGHUP reload'), true);
      assert.equal(store.current.lookup('second.example')?.onion, B);
      assert.equal(store.generation, 1);

      // strictMaps: an invalid entry makes the reload fail; lookups keep the last good map.
      writeFileSync(p, `third.example ${A}\nbad.example expyuzz4wqqyqhjn.onion\n`);
      reloaded = store.nextReload();
      process.kill(process.pid, 'SIGHUP');
      assert.equal(await withTimeout(reloaded, 5000, 'failed reload'), false);
      assert.equal(store.current.lookup('second.example')?.onion, B);
      assert.equal(store.current.lookup('third.example'), undefined);

      rmSync(p);
      assert.equal(await store.reload(), false);
      assert.equal(store.current.lookup('second.example')?.onion, B);
    } finally {
      store.close();
    }
    assert.equal(process.listenerCount('SIGHUP'), 0, 'close() removes the SIGHUP handler');
  });

  it('never fails an in-flight lookup while the map is rewritten and reloaded many times', async () => {
    const p = file('busy.map', `stable.example ${A}\n`);
    const resolver = await createRouteResolver(
      routingConfig({ maps: [{ path: p, format: 'native' }], watchMaps: true, srv: false, resolver: { servers: ['127.0.0.1:9'] } }),
      { sighup: true },
    );
    try {
      let stop = false;
      let lookups = 0;
      const failures: string[] = [];
      const hammer = (async () => {
        while (!stop) {
          const batch = await Promise.all(Array.from({ length: 20 }, () => resolver.decide('someone@stable.example')));
          for (const d of batch) {
            lookups++;
            if (d.kind !== 'onion' || d.host !== A) failures.push(JSON.stringify(d));
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      const startGen = resolver.maps.generation;
      for (let i = 0; i < 30; i++) {
        const body = `# version ${i}\nstable.example ${A}\nv${i}.example ${B}\n`;
        if (i % 3 === 0) process.kill(process.pid, 'SIGHUP');
        if (i % 2 === 0) atomicWrite(p, body);
        else writeFileSync(p, body);
        await new Promise((r) => setTimeout(r, 15));
      }
      const last = resolver.maps.nextReload();
      await resolver.maps.reload();
      await withTimeout(last, 5000, 'final reload');
      stop = true;
      await hammer;
      assert.deepEqual(failures, []);
      assert.ok(lookups > 200, `only ${lookups} lookups ran`);
      assert.ok(resolver.maps.generation - startGen >= 2, 'the map was actually reloaded during the run');
      assert.equal(resolver.maps.current.lookup('v29.example')?.onion, B);
    } finally {
      await resolver.close();
    }
  });
});
