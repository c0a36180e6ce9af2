// The production entry: esbuild bundles what tsc wrote (packages/cli/dist/main.js and, through it, every package's
// dist/ and their npm dependencies) into packages/cli/dist/bundle/. A daemon's idle memory is mostly the code it loaded:
// every module's source text stays on the heap, and a few hundred modules cost the loader too. One tree-shaken chunk
// graph drops what nothing calls (zod's 40 locales and JSON-schema code, most of it) and saves 8-12 MB per process
// (bench/footprint). Code splitting keeps each command's `import()`, so --help and one command still load only their
// part. Whitespace, syntax and local identifiers are minified (each process keeps the source text of what it loaded: a
// fifth less of it, bench/footprint); function and class names are kept, so a stack trace in a log still names its
// functions, and dist/bundle/*.map maps positions and local names back (node --enable-source-maps).
//
// prom-client requires @opentelemetry/api at load for exemplars, which this project never enables (createMetricsRegistry
// in @peergroup/service): the bundle gets a stand-in that says so if they ever are, instead of 45 KB of tracing API in
// every daemon.
//
// Beside it, help.json: every command's --help text, written from the command modules themselves. A command module
// imports the code of its daemon (a command's options and its run share the config loader), so `peergroup relay
// --help` from the modules loads zod, smtp-server and the relay; from the table it loads none of them.
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
const noOpenTelemetry = {
  name: 'no-opentelemetry',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\/api$/ }, () => ({ path: '@opentelemetry/api', namespace: 'left-out' }));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, () => ({
      contents:
        "const no = () => { throw new Error('@opentelemetry/api is left out of the bundle (packages/cli/scripts/bundle.mjs): no exemplars'); };\n" +
        'module.exports = { get trace() { return no(); }, get context() { return no(); } };\n',
      loader: 'js',
    }));
  },
};
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
    minifyIdentifiers: true,
    keepNames: true,
    sourcemap: 'linked',
    // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
    banner: {
      js: "import { createRequire as __peergroupRequire } from 'node:module'; const require = __peergroupRequire(import.meta.url);",
    },
    plugins: [noOpenTelemetry],
    logLevel: 'warning',
  });
  const { loadCommands, commandHelp } = await import(`${cli}dist/main.js`);
  const help = Object.fromEntries((await loadCommands()).map((cmd) => [cmd.path.join(' '), commandHelp(cmd)]));
  writeFileSync(`${outdir}/help.json`, `${JSON.stringify(help)}\n`);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
} catch (err) {
  rmSync(outdir, { recursive: true, force: true });
  process.stderr.write(`bundle: esbuild failed, the bin runs dist/ unbundled: ${err.message}\n`);
}
