#!/usr/bin/env node
// Production runs the JavaScript that `npm run build` (tsc) writes to each package's dist/: plain node, nothing is
// transpiled at start. The TypeScript sources run through tsx instead when node runs under the "source" export
// condition (tests: scripts/run-tests.mjs sets it), when there is no build (a fresh clone before `npm run build`), or
// when a package's sources are newer than its build — stale JavaScript would run code that is no longer there, so
// the sources win and a warning says how to get the fast start back. From a current build it runs the bundle of it in
// dist/bundle/ (scripts/bundle.mjs: less memory per daemon) when that is at least as new as every package's build;
// PEERGROUP_BUNDLE=0 runs dist/ module by module instead.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register as registerHooks } from 'node:module';

const packages = new URL('../../', import.meta.url);

/** dist/main.js, or src/main.ts under the "source" condition; undefined when there is no build. */
function resolveMain() {
  let url;
  try {
    url = import.meta.resolve('@peergroup/cli/main');
  } catch {
    return undefined;
  }
  return existsSync(new URL(url)) ? url : undefined;
}

/** One stat per stamp: it runs on every CLI call. */
function mtime(url) {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Packages of the build (tsconfig.build.json) whose src/ has changed since their dist/ was built, or that have none;
 * and the time of the newest build.
 */
function staleBuilds() {
  const stale = [];
  let newestBuild = 0;
  for (const entry of readdirSync(packages, { withFileTypes: true })) {
    const src = new URL(`${entry.name}/src`, packages).pathname;
    if (!entry.isDirectory() || !existsSync(new URL(`${entry.name}/tsconfig.build.json`, packages))) continue;
    const built = mtime(new URL(`${entry.name}/dist/.tsbuildinfo`, packages));
    if (built === undefined || newestMtime(src) > built) stale.push(entry.name);
    else newestBuild = Math.max(newestBuild, built);
  }
  return { stale, newestBuild };
}

/** dist/bundle/main.js when it was bundled from the current build (its stamp is written last). */
function currentBundle(newestBuild) {
  if (process.env.PEERGROUP_BUNDLE === '0') return undefined;
  const bundled = mtime(new URL('../dist/bundle/.bundled', import.meta.url));
  if (bundled === undefined || bundled < newestBuild) return undefined;
  return new URL('../dist/bundle/main.js', import.meta.url).href;
}

let main = resolveMain();
const sourceCondition = main?.endsWith('.ts') ?? false;
if (!sourceCondition && main) {
  const { stale, newestBuild } = staleBuilds();
  if (stale.length > 0) {
    process.stderr.write(
      `peergroup: the build in dist/ is missing or older than the sources of ${stale.join(', ')}; running the sources through tsx (slower start, more memory). Run "npm run build" to use the build again.\n`,
    );
    main = undefined;
  } else {
    main = currentBundle(newestBuild) ?? main;
  }
}
if (!main || sourceCondition) {
  const { register } = await import('tsx/esm/api');
  register();
  // Without the condition the other packages would resolve to their (absent or stale) dist/.
  if (!sourceCondition) registerHooks('./source-condition.mjs', import.meta.url);
  main = new URL('../src/main.ts', import.meta.url).href;
}
const { main: run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
