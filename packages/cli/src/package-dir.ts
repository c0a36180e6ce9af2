import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory of the cli package (bin/, package.json), found upwards from this module. It runs from src/, from
 * dist/ and from the bundle in dist/bundle/, which sit at different depths, so a fixed `../` would be right in one.
 */
export function cliPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@peergroup/cli') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no @peergroup/cli package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
