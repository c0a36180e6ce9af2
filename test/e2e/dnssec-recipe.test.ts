/**
 * The DNSSEC recipe of docs/inbound.md, run as an operator would follow it: the zone template with the SRV line
 * `peergroup onionmx publish` printed, one key from the keygen commands, signing by the onionmx-sign-zone script
 * through its cron line, nsd and a validating unbound from the drop-in configs — every file from docs/snippets with
 * only ports, paths, the domain and the onion swapped for the test's. Then what it is for: the AD bit through unbound,
 * `publish --verify --dnssec require` and `route --dnssec require` content, and a signed record edited afterwards
 * answered SERVFAIL by unbound, which the router turns into a tempfail (the mail waits, never goes elsewhere).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@peergroup/cli';
import { queryServer } from '@peergroup/onionmx';
import { startNsdWithConfig, startUnboundWithConfig, type ConfiguredServer } from '@peergroup/test-support/dns';
import { newOnion } from '@peergroup/test-support/onions';
import { requirePrerequisite } from '@peergroup/test-support/prerequisites';
import { run } from '@peergroup/test-support/proc';
import { snippet, textFromSnippet } from '@peergroup/test-support/snippets';
import { runMain } from '@peergroup/test-support/cli-capture';

const root = new URL('../../', import.meta.url).pathname;
const guide = readFileSync(join(root, 'docs/inbound.md'), 'utf8');
const recipe = [
  'example.org.zone',
  'dnssec-keygen.sh',
  'nsd-zone.conf',
  'onionmx-sign-zone',
  'onionmx-sign-zone.cron',
  'unbound-resolver.conf',
  'unbound-trust-anchor.conf',
  'unbound-test-names.conf',
];

const DOMAIN = 'recipe.test';
const SRV_NAME = `_onion-mx._tcp.${DOMAIN}`;
const ONION = newOnion();
const OTHER = newOnion();

const cli = (args: string[]) => runMain(main, args);

async function sh(script: string, what: string): Promise<string> {
  const r = await run('sh', ['-eu', '-c', script], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Polls `check` until it returns true: nsd-control's reload returns before nsd serves the new file. */
async function eventually(check: () => Promise<boolean>, what: string, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within 10 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `20261229200425` (RRSIG time) → ms since the epoch. */
const rrsigTime = (t: string) =>
  Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14));

test('docs/inbound.md shows every file of the DNSSEC recipe verbatim', () => {
  for (const name of recipe) {
    const body = snippet(name).trimEnd();
    const block = new RegExp('```[a-z]*\\n' + body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\n```');
    assert.ok(block.test(guide), `docs/inbound.md must contain docs/snippets/${name} as a code block`);
  }
});

describe('DNSSEC recipe: nsd + ldns-keygen/ldns-signzone + validating unbound, from docs/snippets', () => {
  const dirs: string[] = [];
  let hiddenServiceDir: string;
  let zones: string; // the nsd dir: zone, keys, nsd.conf, control socket
  let nsd: ConfiguredServer;
  let unbound: ConfiguredServer;
  let ds: string;
  let publishedLine: string;
  let cronCommand: string;
  const resolvers: ConfiguredServer[] = [];

  const signedZone = () => readFileSync(join(zones, `${DOMAIN}.zone.signed`), 'utf8');
  /** owner ttl IN RRSIG covered algorithm labels ttl expiration inception keytag signer signature */
  const rrsigFields = () =>
    signedZone()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === 'RRSIG');
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };

  /** unbound from the resolver drop-in plus the trust-anchor one, and the test-names one unless left out. */
  async function startResolver(opts: { testNames: boolean }): Promise<ConfiguredServer> {
    const dir = mkdtempSync(join(tmpdir(), 'pg-recipe-unbound-'));
    const anchorFile = join(dir, `${DOMAIN}.ds`);
    writeFileSync(anchorFile, ds + '\n');
    const server = await startUnboundWithConfig({
      dir,
      config: (port) =>
        textFromSnippet('unbound-resolver.conf', { '127.0.0.1@53': `127.0.0.1@${port}` }) +
        textFromSnippet('unbound-trust-anchor.conf', {
          '/etc/unbound/example.org.ds': anchorFile,
          '192.0.2.53': `127.0.0.1@${nsd.port}`,
          'example.org': DOMAIN,
        }) +
        (opts.testNames ? snippet('unbound-test-names.conf') : ''),
    });
    resolvers.push(server);
    return server;
  }

  before(async () => {
    requirePrerequisite('ldns tools');
    hiddenServiceDir = join(tempDir('pg-recipe-hs-'), 'onion-mx');
    mkdirSync(hiddenServiceDir, { mode: 0o700 });
    writeFileSync(join(hiddenServiceDir, 'hostname'), `${ONION}\n`);
    const published = await cli(['onionmx', 'publish', '--hidden-service-dir', hiddenServiceDir, '--domain', DOMAIN]);
    assert.equal(published.code, 0, published.stderr);
    publishedLine = published.stdout.split('\n').find((l) => l.startsWith('_onion-mx._tcp.')) ?? assert.fail(published.stdout);

    // startNsdWithConfig removes the dir when nsd stops, so it is not in `dirs`.
    zones = mkdtempSync(join(tmpdir(), 'pg-recipe-nsd-'));
    writeFileSync(
      join(zones, `${DOMAIN}.zone`),
      textFromSnippet('example.org.zone', { '<56 characters>.onion.': `${ONION}.`, '192.0.2.53': '127.0.0.1', 'example.org': DOMAIN }),
    );
    const keygenOutput = await sh(
      textFromSnippet('dnssec-keygen.sh', { '/etc/nsd/zones': zones, 'example.org': DOMAIN }),
      'the keygen commands',
    );
    ds = keygenOutput.split('\n').find((l) => /\sDS\s/.test(l)) ?? assert.fail(`no DS line in the keygen output:\n${keygenOutput}`);

    const script = join(zones, 'onionmx-sign-zone');
    writeFileSync(script, textFromSnippet('onionmx-sign-zone', { '/etc/nsd/zones': zones, '/etc/nsd/nsd.conf': join(zones, 'nsd.conf') }));
    chmodSync(script, 0o755);
    const cron = textFromSnippet('onionmx-sign-zone.cron', { '/usr/local/sbin/onionmx-sign-zone': script, 'example.org': DOMAIN });
    const entry = cron.split('\n').find((l) => l && !l.startsWith('#')) ?? assert.fail(cron);
    cronCommand = entry.trim().split(/\s+/).slice(6).join(' ');

    // The guide's order: nsd configured (the signed file does not exist yet), then the first signing loads it.
    nsd = await startNsdWithConfig({
      dir: zones,
      zone: DOMAIN,
      config: (port) =>
        textFromSnippet('nsd-zone.conf', {
          '192.0.2.53': `127.0.0.1@${port}`,
          '/etc/nsd/zones': zones,
          '/run/nsd/nsd.ctl': join(zones, 'nsd.ctl'),
          'example.org': DOMAIN,
        }),
    });
    await sh(cronCommand, 'the cron line');
    await eventually(
      async () => (await queryServer(nsd, SRV_NAME, 'SRV', { recursionDesired: false })).answers.length > 0,
      'nsd serves the signed zone',
      nsd.output,
    );
    unbound = await startResolver({ testNames: true });
  });

  after(async () => {
    for (const r of resolvers) await r.stop();
    await nsd?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("the zone template's SRV line is exactly what publish prints, apart from the onion", () => {
    const template = snippet('example.org.zone')
      .split('\n')
      .find((l) => l.startsWith('_onion-mx._tcp.'));
    assert.equal(template?.replace('example.org', DOMAIN).replace('<56 characters>.onion.', `${ONION}.`), publishedLine);
    assert.ok(readFileSync(join(zones, `${DOMAIN}.zone`), 'utf8').includes(publishedLine + '\n'));
  });

  test('one key (algorithm 13) signs every record set; signatures last 4 weeks and the weekly cron re-signs well before', () => {
    const rrsigs = rrsigFields();
    const covered = new Set(rrsigs.map((f) => f[4]));
    for (const type of ['SOA', 'NS', 'DNSKEY', 'SRV', 'A', 'NSEC']) assert.ok(covered.has(type), `no RRSIG over ${type}`);
    assert.deepEqual(new Set(rrsigs.map((f) => f[5])), new Set(['13']));
    assert.equal(new Set(rrsigs.map((f) => f[10])).size, 1, 'all signatures from one key');
    assert.equal(ds.trim().split(/\s+/).slice(-4, -2).join(' '), `${rrsigs[0]![10]} 13`, 'the DS names that key');
    const days = rrsigs.map((f) => (rrsigTime(f[8]!) - rrsigTime(f[9]!)) / 86400_000);
    assert.deepEqual(new Set(days), new Set([28]), 'ldns-signzone default validity');
    assert.match(snippet('onionmx-sign-zone'), /expire after 4 weeks/);
    const [minute, hour, dom, month, dow] = snippet('onionmx-sign-zone.cron')
      .split('\n')
      .find((l) => l && !l.startsWith('#'))!
      .split(/\s+/);
    assert.ok(/^\d+$/.test(minute!) && /^\d+$/.test(hour!) && dom === '*' && month === '*' && /^[0-6]$/.test(dow!), 'weekly');
    assert.ok(7 * 3 < days[0]!, 'two missed weekly runs still leave valid signatures');
  });

  test('the SRV answer through the validating unbound has the AD bit and the published onion', async () => {
    const r = await queryServer(unbound, SRV_NAME, 'SRV', { dnssec: true });
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.authenticated, true, 'AD bit');
    const srv = r.answers.filter((a) => a.type === 'SRV').map((a) => a.data as { target: string; port: number });
    assert.deepEqual(
      srv.map((s) => [s.target.replace(/\.$/, ''), s.port]),
      [[ONION, 25]],
    );
  });

  test('publish --verify --dnssec require and route --dnssec require accept the signed record', async () => {
    const v = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hiddenServiceDir,
      '--domain',
      DOMAIN,
      '--verify',
      '--resolver',
      unbound.address,
      '--dnssec',
      'require',
    ]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^${DOMAIN.replace('.', '\\.')}: ok$`, 'm'));
    assert.match(v.stdout, /dnssec +validated/);
    const r = await cli(['onionmx', 'route', '--resolver', unbound.address, '--dnssec', 'require', `postmaster@${DOMAIN}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`onion ${ONION}:25`));
    assert.match(r.stdout, /dnssec +validated/);
  });

  test('without the test-names drop-in unbound answers NXDOMAIN itself for a .test zone', async () => {
    const bare = await startResolver({ testNames: false });
    const r = await queryServer(bare, SRV_NAME, 'SRV', { dnssec: true });
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.equal(r.answers.length, 0);
    await bare.stop();
  });

  test('running the cron line again re-signs: nsd serves a newer serial and later signatures', async () => {
    const soa = async () => {
      const r = await queryServer(nsd, DOMAIN, 'SOA', { recursionDesired: false });
      return (r.answers.find((a) => a.type === 'SOA')!.data as { serial: number }).serial;
    };
    const inceptions = () => new Set(rrsigFields().map((f) => f[9]));
    const before = await soa();
    const [oldInception] = inceptions();
    await new Promise((r) => setTimeout(r, 1100)); // -u makes the serial the signing second
    await sh(cronCommand, 'the cron line, again');
    await eventually(async () => (await soa()) > before, 'nsd serves the re-signed zone with a newer serial', nsd.output);
    assert.ok(rrsigTime([...inceptions()][0]!) > rrsigTime(oldInception!), 'fresh signatures');
  });

  test('a signed record edited afterwards: unbound answers SERVFAIL, route tempfails, publish --verify reports it', async () => {
    const file = join(zones, `${DOMAIN}.zone.signed`);
    const text = signedZone();
    assert.ok(text.includes(ONION));
    writeFileSync(file, text.split(ONION).join(OTHER));
    const reload = await run('nsd-control', ['-c', join(zones, 'nsd.conf'), 'reload', DOMAIN]);
    assert.equal(reload.code, 0, reload.stderr);
    // nsd now really serves the edited record (with the old signature), so what follows is validation at work.
    const served = async () =>
      (await queryServer(nsd, SRV_NAME, 'SRV', { recursionDesired: false })).answers.filter((a) => a.type === 'SRV');
    await eventually(
      async () => (await served()).some((a) => (a.data as { target: string }).target.replace(/\.$/, '') === OTHER),
      'nsd serves the edited record',
      nsd.output,
    );

    const fresh = await startResolver({ testNames: true }); // the first one has the good answer cached
    const r = await queryServer(fresh, SRV_NAME, 'SRV', { dnssec: true });
    assert.equal(r.rcode, 'SERVFAIL');
    assert.equal(r.answers.length, 0);
    const route = await cli(['onionmx', 'route', '--resolver', fresh.address, '--dnssec', 'require', `postmaster@${DOMAIN}`]);
    assert.equal(route.code, 75, route.stdout + route.stderr);
    assert.match(route.stdout, /tempfail/);
    assert.doesNotMatch(route.stdout, new RegExp(OTHER));
    const v = await cli([
      'onionmx',
      'publish',
      '--hidden-service-dir',
      hiddenServiceDir,
      '--domain',
      DOMAIN,
      '--verify',
      '--resolver',
      fresh.address,
      '--dnssec',
      'require',
    ]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^${DOMAIN.replace('.', '\\.')}: PROBLEM$`, 'm'));
  });
});
