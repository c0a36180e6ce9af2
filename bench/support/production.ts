/**
 * Running peergroup as production does, for the benches that measure its start and footprint: the build in dist/
 * brought up to date first (what `npm start` does), and the bin started without the "source" condition that the
 * bench itself runs under.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const bin = fileURLToPath(new URL('../../packages/cli/bin/peergroup.js', import.meta.url));

/** `npm run build` (type errors are printed, and do not stop it). */
export function buildDist(): void {
  const r = spawnSync(process.execPath, [`${repoRoot}scripts/build.mjs`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
}

/** The environment of an operator's shell: no --conditions=source, so the bin takes dist/. */
export function productionEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--conditions[= ]source/g, '').trim();
  return { ...process.env, NODE_OPTIONS: nodeOptions, ...extra };
}

/** Fails the bench when the bin said it fell back to the sources: the numbers would not be production's. */
export function assertRanFromDist(stderr: string, what: string): void {
  if (/older than the sources/.test(stderr)) throw new StaleBuildError(`${what} ran the sources, not dist/: ${stderr.trim()}`);
}

/**
 * Fails (as a stale build, so fromDist rebuilds) unless packages/cli/dist/bundle was bundled from the current build of
 * every package: the bin would otherwise run dist/ module by module, and a bundled row would not be the bundle's.
 */
export function assertBundled(what: string): void {
  const stamp = `${repoRoot}packages/cli/dist/bundle/.bundled`;
  const packages = `${repoRoot}packages/`;
  const builds = readdirSync(packages)
    .map((p) => `${packages}${p}/dist/.tsbuildinfo`)
    .filter((f) => existsSync(f));
  if (!existsSync(stamp) || builds.some((f) => statSync(f).mtimeMs > statSync(stamp).mtimeMs))
    throw new StaleBuildError(`${what}: packages/cli/dist/bundle is missing or older than a package's build`);
}

/** The bin fell back to the sources because a package's src/ changed after the build (someone is editing). */
export class StaleBuildError extends Error {
  override name = 'StaleBuildError';
}

/**
 * `measure()`, rebuilt and measured again when the bin ran the sources: in a tree others edit, a source file can
 * change between the build and a start, and a number taken from the sources would not be production's.
 */
export async function fromDist<T>(measure: () => T | Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await measure();
    } catch (err) {
      if (!(err instanceof StaleBuildError) || i >= tries) throw err;
      buildDist();
    }
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
