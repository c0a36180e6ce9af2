// The system programs and libraries the tests and benches run for real, in one table: what to look for, which
// Debian package provides it, and which modules need it. scripts/run-tests.mjs checks the selected test files'
// needs before anything starts, scripts/system-deps.sh installs the `apt` packages listed here, and the test
// support helpers (test/support/prerequisites.ts) throw the same message when a file is run on its own.
//
// `neededBy` names modules (repository paths, or bare package names such as playwright-core): a test file needs an
// entry when one of them is in its import closure. Paths without a slash are programs looked up on PATH.
import { accessSync, constants, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const pgBin = (env) => env.PEERGROUP_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * @typedef {object} Prerequisite
 * @property {string} name
 * @property {string[] | ((env: NodeJS.ProcessEnv) => string[])} paths
 * @property {string} package Debian package
 * @property {'apt' | 'exim-extract'} install how scripts/system-deps.sh provides it
 * @property {string[]} neededBy
 */

/** @type {Prerequisite[]} */
export const prerequisites = [
  {
    name: 'tor',
    paths: (env) => [env.PEERGROUP_TOR ?? 'tor', 'tor-gencert'],
    package: 'tor',
    install: 'apt',
    neededBy: ['packages/tornet/src/tornet.ts'],
  },
  {
    name: 'torsocks library',
    // Where Debian's amd64 package puts it, and the path docs/onionmx-router.md preloads.
    paths: ['/usr/lib/x86_64-linux-gnu/torsocks/libtorsocks.so'],
    package: 'torsocks',
    install: 'apt',
    neededBy: ['test/e2e/router-postfix.test.ts'],
  },
  {
    name: 'postfix',
    paths: [
      '/usr/sbin/postfix',
      '/usr/sbin/postconf',
      '/usr/sbin/postmap',
      '/usr/sbin/postqueue',
      '/usr/sbin/postsuper',
      '/usr/sbin/sendmail',
      '/usr/lib/postfix/sbin/master',
    ],
    package: 'postfix',
    install: 'apt',
    neededBy: ['test/support/postfix.ts'],
  },
  { name: 'nsd', paths: ['nsd'], package: 'nsd', install: 'apt', neededBy: ['test/support/dns.ts'] },
  { name: 'unbound', paths: ['unbound'], package: 'unbound', install: 'apt', neededBy: ['test/support/dns.ts'] },
  { name: 'ldns tools', paths: ['ldns-keygen', 'ldns-signzone'], package: 'ldnsutils', install: 'apt', neededBy: ['test/support/dns.ts'] },
  {
    name: 'openssl',
    paths: ['openssl'],
    package: 'openssl',
    install: 'apt',
    neededBy: ['packages/onionmx/test/dns-over-tls-exit.test.ts', 'test/e2e/mail-crypt-format.test.ts'],
  },
  {
    name: 'PostgreSQL 15',
    paths: (env) => [join(pgBin(env), 'postgres'), join(pgBin(env), 'initdb')],
    package: 'postgresql',
    install: 'apt',
    neededBy: ['test/support/postgres.ts'],
  },
  // Dovecot for the mail-account tests: one entry per Debian package (system-deps.sh installs each `package`).
  ...[
    ['dovecot', ['/usr/sbin/dovecot', '/usr/bin/doveadm'], 'dovecot-core'],
    ['dovecot imap', ['/usr/lib/dovecot/imap', '/usr/lib/dovecot/imap-login'], 'dovecot-imapd'],
    ['dovecot pop3', ['/usr/lib/dovecot/pop3', '/usr/lib/dovecot/pop3-login'], 'dovecot-pop3d'],
    ['dovecot lmtp', ['/usr/lib/dovecot/lmtp'], 'dovecot-lmtpd'],
    ['dovecot managesieve', ['/usr/lib/dovecot/managesieve', '/usr/lib/dovecot/managesieve-login'], 'dovecot-managesieved'],
    ['dovecot lua', ['/usr/lib/dovecot/modules/auth/libauthdb_lua.so'], 'dovecot-auth-lua'],
  ].map(([name, paths, pkg]) => ({ name, paths, package: pkg, install: 'apt', neededBy: ['test/support/dovecot.ts'] })),
  // IMAP client of the mail-account tests (python3 imaplib, a real client that is not ours).
  { name: 'python3', paths: ['python3'], package: 'python3', install: 'apt', neededBy: ['test/support/dovecot.ts'] },
  {
    // `security --offline=true` rates a unit file without a running systemd (systemd 252 and later).
    name: 'systemd-analyze',
    paths: ['systemd-analyze'],
    package: 'systemd',
    install: 'apt',
    neededBy: ['test/e2e/systemd-units.test.ts'],
  },
  // Creates the shipped system user in a scratch root; runs accounts serve and socket clients as other users.
  {
    name: 'systemd-sysusers',
    paths: ['systemd-sysusers'],
    package: 'systemd',
    install: 'apt',
    neededBy: ['test/e2e/systemd-units.test.ts'],
  },
  { name: 'setpriv', paths: ['setpriv'], package: 'util-linux', install: 'apt', neededBy: ['test/e2e/systemd-units.test.ts'] },
  { name: 'chromium', paths: ['/usr/bin/chromium'], package: 'chromium', install: 'apt', neededBy: ['playwright-core'] },
  {
    // Conflicts with postfix as an installed package, so system-deps.sh extracts it (see there).
    name: 'exim',
    paths: (env) => [env.PEERGROUP_EXIM ?? '/opt/peergroup-exim/usr/sbin/exim4'],
    package: 'exim4-daemon-heavy, extracted into /opt/peergroup-exim',
    install: 'exim-extract',
    neededBy: ['test/support/exim.ts'],
  },
];

/**
 * The table, plus fake entries a test of this check injects through PEERGROUP_TEST_FAKE_PREREQUISITE
 * (JSON: one entry or a list). Never set outside that test.
 */
export function prerequisiteTable(env = process.env) {
  const fake = env.PEERGROUP_TEST_FAKE_PREREQUISITE;
  if (!fake) return prerequisites;
  const extra = JSON.parse(fake);
  return [...prerequisites, ...(Array.isArray(extra) ? extra : [extra])];
}

function found(path, env) {
  const candidates = path.includes('/')
    ? [path]
    : (env.PATH ?? '')
        .split(':')
        .filter(Boolean)
        .map((d) => join(d, path));
  return candidates.some((p) => {
    try {
      accessSync(p, path.endsWith('.so') ? constants.R_OK : constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The paths of `p` that are absent (programs: not on PATH). */
export function missingPaths(p, env = process.env) {
  const paths = typeof p.paths === 'function' ? p.paths(env) : p.paths;
  return paths.filter((path) => !found(path, env));
}

/** One line per missing path: what, where, and how to get it. */
export function describeMissing(p, paths) {
  const how = p.install === 'apt' ? `Debian package ${p.package}` : p.package;
  const where = paths.map((path) => (path.includes('/') ? path : `${path} (not on PATH)`)).join(', ');
  return `${p.name}: ${where} (${how}; run sh scripts/system-deps.sh as root)`;
}

/** Throws "missing prerequisite: …" unless everything the entry named `name` lists is present. */
export function requirePrerequisite(name, env = process.env) {
  const p = prerequisiteTable(env).find((x) => x.name === name);
  if (!p) throw new Error(`unknown prerequisite "${name}" (scripts/prerequisites.mjs)`);
  const missing = missingPaths(p, env);
  if (missing.length > 0) throw new Error(`missing prerequisite: ${describeMissing(p, missing)}`);
}

// Static and dynamic imports with a string specifier, and `new URL('./x.ts', import.meta.url)`: a module a test
// runs in a child process (tornet-cleanup's script imports tornet.ts that way).
const importRe = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\bnew URL\(\s*(?=['"]\.[^'"]*\.[mc]?ts['"]))['"]([^'"]+)['"]/gm;

let workspaces;
/** The file a `@peergroup/name[/sub]` specifier resolves to, through that workspace's declared exports. */
function workspaceEntry(spec) {
  if (!workspaces) {
    workspaces = new Map();
    for (const dir of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces) {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      workspaces.set(pkg.name, { dir, exports: pkg.exports ?? {} });
    }
  }
  const [scope, name, ...rest] = spec.split('/');
  const ws = workspaces.get(`${scope}/${name}`);
  const target = ws?.exports[rest.length ? `./${rest.join('/')}` : '.'];
  const file = typeof target === 'string' ? target : (target?.source ?? target?.default);
  return ws && file ? join(root, ws.dir, file) : undefined;
}

/** Repository-relative paths (and bare package names) of every module `file` imports, directly or not. */
export function importClosure(file) {
  const seen = new Set();
  const visit = (abs) => {
    const rel = relative(root, abs);
    if (seen.has(rel) || !existsSync(abs)) return;
    seen.add(rel);
    for (const [, spec] of readFileSync(abs, 'utf8').matchAll(importRe)) {
      if (spec.startsWith('.')) visit(resolve(dirname(abs), spec));
      else if (spec.startsWith('@peergroup/')) {
        const entry = workspaceEntry(spec);
        if (entry) visit(entry);
      } else if (!spec.startsWith('node:')) seen.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  visit(resolve(root, file));
  return seen;
}

/** The names of the table's entries that `file` needs (empty: it runs with no system program, the unit lane). */
export function prerequisitesOf(file, env = process.env) {
  const closure = importClosure(file);
  return prerequisiteTable(env)
    .filter((p) => p.neededBy.some((m) => m === file || closure.has(m)))
    .map((p) => p.name);
}

/** For the given test files: every entry some file needs whose paths are absent, with the files that need it. */
export function checkPrerequisites(files, env = process.env) {
  const closures = files.map((f) => [f, importClosure(f)]);
  const problems = [];
  for (const p of prerequisiteTable(env)) {
    const users = closures.filter(([f, c]) => p.neededBy.some((m) => m === f || c.has(m))).map(([f]) => f);
    if (users.length === 0) continue;
    const missing = missingPaths(p, env);
    if (missing.length > 0) problems.push({ prerequisite: p, missing, users });
  }
  return problems;
}

// `node scripts/prerequisites.mjs apt-packages`: the list scripts/system-deps.sh installs.
if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  if (process.argv[2] === 'apt-packages') {
    process.stdout.write(
      `${[
        ...new Set(
          prerequisiteTable()
            .filter((p) => p.install === 'apt')
            .map((p) => p.package),
        ),
      ].join(' ')}\n`,
    );
  } else {
    process.stderr.write('usage: node scripts/prerequisites.mjs apt-packages\n');
    process.exit(64);
  }
}
