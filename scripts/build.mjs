// `npm run build` (also run by `npm ci` through prepare, and before `npm start`): tsc -b writes each package's dist/,
// then packages/cli/dist/bundle/ is bundled from it.
// Type errors are printed but do not fail it when tsc still wrote every output (its exit status 2, "diagnostics
// present, outputs generated"): the JavaScript is complete, and `npm test` type-checks and fails there. Before the
// build step tsx ran code with type errors just the same; a type error should not stop an install or a start.
// Exit status 1 (outputs skipped, e.g. a broken tsconfig) fails.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const config = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));
const { status, signal } = spawnSync(process.execPath, [tsc, '-b', config, ...process.argv.slice(2)], { stdio: 'inherit' });
if (status === 2) process.stderr.write('build: dist/ written despite the type errors above (npm test fails on them)\n');
// The production entry the bin prefers: one bundle of what tsc wrote (packages/cli/scripts/bundle.mjs says why). It
// reads dist/, so without the "source" condition a test run puts into NODE_OPTIONS.
if (status === 0 || status === 2) {
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--conditions[= ]source/g, '').trim();
  spawnSync(process.execPath, [fileURLToPath(new URL('../packages/cli/scripts/bundle.mjs', import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
}
process.exit(status === 0 || status === 2 ? 0 : (status ?? (signal ? 1 : 0)));
