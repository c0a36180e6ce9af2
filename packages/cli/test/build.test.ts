// The two ways the bin starts: from the build in dist/ (production: plain node, nothing transpiled, commands loaded
// lazily) and from the TypeScript sources through tsx (no build, or a stale one). Every child runs without the "source"
// condition the test runner sets, as `peergroup` does when an operator starts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registry } from '../src/registry.ts';

const execFileP = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'packages/cli/bin/peergroup.js');
const tracer = fileURLToPath(new URL('./fixtures/trace-modules.mjs', import.meta.url));

/** The environment of an operator's shell: no --conditions=source from the test runner. */
function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--conditions[= ]source/g, '').trim();
  return { ...process.env, NODE_OPTIONS: nodeOptions, PEERGROUP_LOG_LEVEL: 'error', ...extra };
}

interface Traced {
  code: number;
  stdout: string;
  stderr: string;
  /** Every module URL the child resolved. */
  modules: string[];
}

/** `bundle`: whether the bin may take dist/bundle (its default); the module-by-module tests say no (PEERGROUP_BUNDLE=0). */
async function traced(binPath: string, args: string[], bundle = false): Promise<Traced> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-trace-'));
  const traceFile = join(dir, 'modules');
  try {
    const { code, stdout, stderr } = await execFileP(process.execPath, ['--import', tracer, binPath, ...args], {
      env: plainEnv({ PEERGROUP_TRACE_FILE: traceFile, PEERGROUP_BUNDLE: bundle ? '1' : '0' }),
    }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
    const modules = existsSync(traceFile) ? readFileSync(traceFile, 'utf8').trim().split('\n') : [];
    return { code, stdout, stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const heavy = ['zod', 'pino', 'yaml', 'smtp-server', 'kysely', 'prom-client'];
const isTsx = (url: string) => url.includes('/node_modules/tsx/') || url.includes('/node_modules/esbuild/');
const commandModules = (modules: string[]) => modules.filter((u) => /\/packages\/cli\/(src|dist)\/commands\//.test(u));
const packagesNamed = (modules: string[], names: string[]) => modules.filter((u) => names.some((n) => u.includes(`/node_modules/${n}/`)));

// What `npm start` does before it starts: bring dist/ up to date.
async function build(): Promise<void> {
  await execFileP(process.execPath, [join(root, 'scripts/build.mjs')]);
  assert.ok(existsSync(join(root, 'packages/cli/dist/main.js')), 'npm run build wrote packages/cli/dist/main.js');
}

test('peergroup --help from dist/: plain node, no tsx, no command module, none of zod/pino/yaml/smtp-server/kysely/prom-client', async () => {
  await build();
  const r = await traced(bin, ['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warning about a stale build');
  assert.match(r.stdout, /^ {2}onionmx route\s/m);
  assert.ok(
    r.modules.some((u) => u.endsWith('/packages/cli/dist/main.js')),
    'ran dist/main.js',
  );
  assert.deepEqual(r.modules.filter(isTsx), []);
  assert.deepEqual(
    r.modules.filter((u) => /\.tsx?$/.test(u)),
    [],
  );
  assert.deepEqual(commandModules(r.modules), []);
  assert.deepEqual(packagesNamed(r.modules, heavy), []);
});

test('peergroup <command> --help from dist/ loads that command module and no other', async () => {
  await build();
  const r = await traced(bin, ['onionmx', 'route', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: peergroup onionmx route/m);
  assert.deepEqual(
    commandModules(r.modules).map((u) => u.replace(/.*\/commands\//, '')),
    ['onionmx-route.js'],
  );
  assert.deepEqual(r.modules.filter(isTsx), []);
  // The other packages come from their build too, not from their sources.
  const own = r.modules.filter((u) => u.includes('/packages/'));
  assert.ok(
    own.some((u) => u.includes('/packages/onionmx/dist/')),
    'loaded @peergroup/onionmx from dist/',
  );
  assert.deepEqual(
    own.filter((u) => u.includes('/src/')),
    [],
  );
});

// Each service's idle memory is its module graph: a command imports its own @peergroup/onionmx entry, never the barrel.
test('onionmx router and relay from dist/ load their own onionmx entry: the router no smtp-server, neither yaml without a YAML map', async () => {
  await build();
  const onionmxModules = (modules: string[]) =>
    modules.filter((u) => u.includes('/packages/onionmx/dist/')).map((u) => u.replace(/.*\/packages\/onionmx\/dist\//, ''));
  const router = await traced(bin, ['onionmx', 'router', '--tcp-table', '127.0.0.1:0', '--no-srv', '--check-config']);
  assert.equal(router.code, 0, router.stderr);
  assert.match(router.stdout, /^configuration OK/);
  assert.deepEqual(packagesNamed(router.modules, ['smtp-server', 'yaml']), []);
  const inRouter = onionmxModules(router.modules);
  assert.ok(inRouter.includes('router.js') && inRouter.includes('router/router.js'), inRouter.join(' '));
  assert.deepEqual(
    inRouter.filter((u) => /^(index|relay|inbound|publish)\.js$|^(inbound|publish)\/|^relay\/relay\.js$/.test(u)),
    [],
  );
  const relay = await traced(bin, ['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--no-srv', '--check-config']);
  assert.equal(relay.code, 0, relay.stderr);
  assert.deepEqual(packagesNamed(relay.modules, ['yaml']), []);
  const inRelay = onionmxModules(relay.modules);
  assert.ok(inRelay.includes('relay.js') && inRelay.includes('relay/relay.js'), inRelay.join(' '));
  assert.deepEqual(
    inRelay.filter((u) => /^(index|router|inbound|publish)\.js$|^(router|inbound|publish)\//.test(u)),
    [],
  );
});

const bundleDir = join(root, 'packages/cli/dist/bundle/');
const fromBundle = (modules: string[]) => modules.filter((u) => u.startsWith(`file://${bundleDir}`));

test('from a current build the bin runs its bundle (dist/bundle): --help loads no command chunk and no npm package', async () => {
  await build();
  const r = await traced(bin, ['--help'], true);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^ {2}onionmx route\s/m);
  assert.ok(r.modules.includes(`file://${bundleDir}main.js`), r.modules.join('\n'));
  // Nothing from dist/ module by module, no sources, no tsx; only the bin and bundle chunks.
  assert.deepEqual(
    r.modules.filter(
      (u) => u.startsWith('file://') && !u.endsWith('/packages/cli/bin/peergroup.js') && !u.startsWith(`file://${bundleDir}`),
    ),
    [],
  );
  // Chunks named after a command are that command's code (esbuild names an entry chunk after its module).
  assert.deepEqual(
    fromBundle(r.modules).filter((u) => /\/(onionmx|accounts|dev|serve)-/.test(u)),
    [],
  );
});

test("<command> --help from the bundle is the module's help, read from the table built with it: no command chunk, no npm package", async () => {
  await build();
  const table = JSON.parse(readFileSync(join(bundleDir, 'help.json'), 'utf8')) as Record<string, string>;
  assert.deepEqual(Object.keys(table).sort(), registry.map((e) => e.path.join(' ')).sort(), 'a help text for every command');
  for (const path of ['onionmx relay', 'onionmx router', 'onionmx inbound', 'onionmx route', 'accounts serve', 'serve']) {
    const words = path.split(' ');
    const bundled = await traced(bin, [...words, '--help'], true);
    const modules = await traced(bin, [...words, '--help'], false);
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal(bundled.stdout, modules.stdout, `${path} --help`);
    assert.match(bundled.stdout, new RegExp(`^Usage: peergroup ${path} `));
    assert.deepEqual(packagesNamed(bundled.modules, heavy), [], path);
    assert.deepEqual(
      bundled.modules.filter(
        (u) => u.startsWith('file://') && !u.endsWith('/packages/cli/bin/peergroup.js') && !u.startsWith(`file://${bundleDir}`),
      ),
      [],
      path,
    );
    assert.deepEqual(
      fromBundle(bundled.modules).filter((u) => /\/(onionmx|accounts|dev|serve)-/.test(u)),
      [],
      `${path}: no command chunk`,
    );
  }
});

test('every service starts from the bundle: "started" with its listeners, /metrics answers with process metrics', async () => {
  await build();
  const data = mkdtempSync(join(tmpdir(), 'pg-bundle-accounts-'));
  const services: [string, string[]][] = [
    ['router', ['onionmx', 'router', '--tcp-table', '127.0.0.1:0', '--no-srv', '--metrics', '127.0.0.1:0']],
    ['relay', ['onionmx', 'relay', '--lmtp', '127.0.0.1:0', '--no-srv', '--metrics', '127.0.0.1:0']],
    [
      'inbound',
      ['onionmx', 'inbound', '--listen', '127.0.0.1:0', '--mx', '127.0.0.1:1', '--domain', 'example.org', '--metrics', '127.0.0.1:0'],
    ],
    ['accounts', ['accounts', 'serve', '--listen', '127.0.0.1:0', '--data', data, '--metrics', '127.0.0.1:0']],
  ];
  try {
    for (const [name, args] of services) {
      const dir = mkdtempSync(join(tmpdir(), 'pg-trace-'));
      const traceFile = join(dir, 'modules');
      const child = spawn(process.execPath, ['--import', tracer, bin, ...args], {
        env: plainEnv({
          PEERGROUP_TRACE_FILE: traceFile,
          PEERGROUP_LOG_LEVEL: 'info',
          PEERGROUP_LOG_FORMAT: 'json',
          PEERGROUP_BUNDLE: '1',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
      try {
        const deadline = Date.now() + 30_000;
        while (!/"msg":"started"/.test(stderr)) {
          if (child.exitCode !== null || Date.now() > deadline) assert.fail(`${name} did not start from the bundle:\n${stdout}\n${stderr}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const metrics = /^metrics (\S+)$/m.exec(stdout)?.[1];
        assert.ok(metrics, `${name} printed its metrics listener:\n${stdout}`);
        const body = await (await fetch(`http://${metrics}/metrics`)).text();
        assert.match(body, /^process_resident_memory_bytes \d/m, `${name} /metrics`);
        if (name === 'accounts') {
          // The web app is imported with the first request (accounts service.ts): its chunks load then, not at start.
          const idle = readFileSync(traceFile, 'utf8').trim().split('\n');
          const http = /^http (\S+)$/m.exec(stdout)?.[1];
          const page = await fetch(`http://${http}/login`);
          assert.equal(page.status, 200, `${name} GET /login`);
          assert.match(await page.text(), /<form[^>]*action="\/login"/);
          const visited = readFileSync(traceFile, 'utf8').trim().split('\n');
          assert.ok(
            fromBundle(visited).length > fromBundle(idle).length,
            `the first request loaded more of the bundle:\n${visited.slice(idle.length).join('\n')}`,
          );
        }
        const modules = readFileSync(traceFile, 'utf8').trim().split('\n');
        assert.ok(modules.includes(`file://${bundleDir}main.js`), `${name} ran the bundle`);
        assert.deepEqual(
          modules.filter((u) => /\/packages\/[^/]+\/(src|dist)\//.test(u) && !u.startsWith(`file://${bundleDir}`)),
          [],
          `${name} loaded no module of dist/ or src/ beside the bundle`,
        );
        child.kill('SIGTERM');
        assert.equal(await exited, 0, stderr);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('PEERGROUP_BUNDLE=0, or a bundle older than a package build, runs dist/ module by module', async () => {
  await build();
  const off = await traced(bin, ['--help'], false);
  assert.equal(off.code, 0, off.stderr);
  assert.ok(off.modules.some((u) => u.endsWith('/packages/cli/dist/main.js')));
  assert.deepEqual(fromBundle(off.modules), []);
  const dir = cliCopy(true);
  try {
    utimesSync(join(dir, 'packages/cli/dist/bundle/.bundled'), new Date(0), new Date(0));
    const old = await traced(join(dir, 'packages/cli/bin/peergroup.js'), ['--help'], true);
    assert.equal(old.code, 0, old.stderr);
    assert.equal(old.stderr, '');
    assert.ok(
      old.modules.some((u) => u.endsWith(`${dir}/packages/cli/dist/main.js`)),
      old.modules.join('\n'),
    );
    assert.equal(
      old.modules.some((u) => u.includes('/dist/bundle/')),
      false,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A copy of packages/cli (bin, src, and dist when asked) whose other packages and node_modules are the real ones. */
function cliCopy(withDist: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pg-cli-copy-'));
  const cli = join(dir, 'packages/cli');
  for (const part of ['bin', 'src', 'package.json', 'tsconfig.build.json', ...(withDist ? ['dist'] : [])]) {
    cpSync(join(root, 'packages/cli', part), join(cli, part), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

test('without dist/ (a fresh clone before the build) the bin runs the sources through tsx, every package from src/', async () => {
  const dir = cliCopy(false);
  try {
    const r = await traced(join(dir, 'packages/cli/bin/peergroup.js'), ['onionmx', 'route', 'someone@example.org', '--no-srv']);
    assert.equal(r.stderr.includes('older than the sources'), false, r.stderr);
    assert.match(r.stdout, /example\.org: none/);
    assert.ok(r.modules.some(isTsx), 'tsx loaded');
    assert.ok(
      r.modules.some((u) => u.endsWith(`${dir}/packages/cli/src/main.ts`)),
      'ran src/main.ts',
    );
    const own = r.modules.filter((u) => /\/packages\/(?!cli\/bin)/.test(u));
    assert.ok(
      own.some((u) => u.includes('/packages/onionmx/src/')),
      'loaded @peergroup/onionmx from src/',
    );
    assert.deepEqual(
      own.filter((u) => u.includes('/dist/')),
      [],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('when sources are newer than dist/, the bin says so and runs the sources', async () => {
  await build();
  const dir = cliCopy(true);
  try {
    const stamp = join(dir, 'packages/cli/dist/.tsbuildinfo');
    utimesSync(stamp, new Date(0), new Date(0));
    const r = await traced(join(dir, 'packages/cli/bin/peergroup.js'), ['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /the build in dist\/ is missing or older than the sources of cli; running the sources through tsx.*npm run build/,
    );
    assert.ok(
      r.modules.some((u) => u.endsWith(`${dir}/packages/cli/src/main.ts`)),
      'ran src/main.ts',
    );
    assert.equal(
      r.modules.some((u) => u.includes('/packages/cli/dist/')),
      false,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command registry: each entry loads the command of its path and summary, and covers every command module', async () => {
  const loaded = new Set<string>();
  for (const entry of registry) {
    const cmd = await entry.load();
    assert.deepEqual(cmd.path, entry.path);
    assert.equal(cmd.summary, entry.summary, `summary of ${entry.path.join(' ')}`);
    loaded.add(cmd.path.join(' '));
  }
  assert.equal(loaded.size, registry.length, 'no path twice');
  for (const file of readdirSync(join(root, 'packages/cli/src/commands')).filter((f) => f.endsWith('.ts'))) {
    const mod = (await import(join(root, 'packages/cli/src/commands', file))) as {
      command?: { path: string[] };
      commands?: { path: string[] }[];
    };
    for (const c of [...(mod.command ? [mod.command] : []), ...(mod.commands ?? [])]) {
      assert.ok(loaded.has(c.path.join(' ')), `"peergroup ${c.path.join(' ')}" (commands/${file}) is in src/registry.ts`);
    }
  }
});

interface PackageJson {
  name: string;
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

test('every built package: exports resolve to src/ under "source" and dist/ otherwise; its build references its @peergroup dependencies', () => {
  const built = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { references: { path: string }[] };
  const inBuild = built.references.map((r) => r.path.replace(/^packages\/|\/tsconfig\.build\.json$/g, '')).sort();
  const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  const withSources = workspaces
    .filter((w) => w.startsWith('packages/') && existsSync(join(root, w, 'src')))
    .map((w) => w.slice('packages/'.length));
  assert.deepEqual(inBuild, withSources.sort(), 'tsconfig.build.json builds every package with sources');
  const dirOf = new Map<string, string>();
  for (const p of inBuild) dirOf.set((JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as PackageJson).name, p);
  for (const p of inBuild) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8')) as PackageJson;
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      assert.equal(typeof target, 'object', `${pkg.name} exports "${subpath}" with conditions`);
      const t = target as Record<string, string>;
      assert.deepEqual(Object.keys(t), ['source', 'default'], `${pkg.name} "${subpath}": "source" first, then "default"`);
      assert.match(t.source!, /^\.\/src\/.*\.tsx?$/);
      assert.equal(t.default, t.source!.replace(/^\.\/src\//, './dist/').replace(/\.tsx?$/, '.js'), `${pkg.name} "${subpath}"`);
    }
    const config = JSON.parse(readFileSync(join(root, 'packages', p, 'tsconfig.build.json'), 'utf8')) as {
      references?: { path: string }[];
    };
    const refs = (config.references ?? []).map((r) => r.path.replace(/^\.\.\/|\/tsconfig\.build\.json$/g, '')).sort();
    const deps = Object.keys(pkg.dependencies ?? {})
      .filter((d) => dirOf.has(d))
      .map((d) => dirOf.get(d)!)
      .sort();
    assert.deepEqual(refs, deps, `packages/${p}/tsconfig.build.json references its @peergroup dependencies`);
  }
  assert.match(readFileSync(join(root, '.gitignore'), 'utf8'), /^dist\/$/m);
});
