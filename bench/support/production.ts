/**
 * Running peergroup as production does, for the benches that measure its start and footprint: the build in dist/
 * brought up to date first (what `npm start` does), and the bin started without the "source" condition that the
 * bench itself runs under.
 */
import { spawnSync } from 'node:child_process';
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
  if (/older than the sources/.test(stderr))
    throw new Error(`${what} ran the sources, not dist/ (sources changed during the bench?): ${stderr.trim()}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
