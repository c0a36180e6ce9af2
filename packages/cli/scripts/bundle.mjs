// The production entry: esbuild bundles what tsc wrote (packages/cli/dist/main.js and, through it, every package's
// dist/ and their npm dependencies) into packages/cli/dist/bundle/. A daemon's idle memory is mostly the code it loaded:
// every module's source text stays on the heap, and a few hundred modules cost the loader too. One tree-shaken chunk
// graph drops what nothing calls (zod's 40 locales and JSON-schema code, most of it) and saves 8-12 MB per process
// (bench/footprint). Code splitting keeps each command's `import()`, so --help and one command still load only their
// part. Whitespace and syntax are minified, names are kept, so a stack trace in a log still names its functions.
//
// Packages with native addons find their .node file next to their own sources, and tsx is only for running sources:
// those stay outside and load from node_modules as before. A failed bundle removes the old one, so the bin never runs
// code older than dist/ (it checks the stamp written last).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${cli}dist/bundle`;
const stamp = `${outdir}/.bundled`;

if (!existsSync(`${cli}dist/main.js`)) {
  process.stderr.write('bundle: packages/cli/dist/main.js is missing (tsc wrote no build); no bundle\n');
  process.exit(0);
}
rmSync(outdir, { recursive: true, force: true });
const { build } = await import('esbuild');
try {
  await build({
    entryPoints: [`${cli}dist/main.js`],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3', 'sodium-native', 'pg-native', 'tsx'],
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    sourcemap: 'linked',
    // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
    banner: {
      js: "import { createRequire as __peergroupRequire } from 'node:module'; const require = __peergroupRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
} catch (err) {
  rmSync(outdir, { recursive: true, force: true });
  process.stderr.write(`bundle: esbuild failed, the bin runs dist/ unbundled: ${err.message}\n`);
}
