import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import type { CommandContext } from '../src/command.ts';
import { UsageError } from '../src/command.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { routingOptions, routingOverrides } from '../src/routing-flags.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routingConfigSchema, systemResolvers } from '@peergroup/onionmx';

function ctx(args: string[]): CommandContext {
  const options = Object.fromEntries(
    Object.entries(routingOptions).map(([k, s]) => [k, { type: s.type, ...(s.multiple ? { multiple: true } : {}) }]),
  );
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  return { values, positionals, stdout: new PassThrough(), stderr: new PassThrough(), stopSignal: new AbortController().signal };
}

describe('shared routing flags', () => {
  it('every flag names its config key', () => {
    for (const [name, spec] of Object.entries(routingOptions)) assert.ok(spec.configKey, `--${name} has no configKey`);
  });

  it('maps given flags to dotted keys, under a prefix, and leaves absent flags out', () => {
    const o = routingOverrides(
      ctx([
        '--map',
        'a.map',
        '--map',
        'b.yml',
        '--map-format',
        'yaml',
        '--resolver',
        '127.0.0.1:53',
        '--resolver',
        '[::1]:5353',
        '--dnssec',
        'require',
        '--dns-timeout',
        '500',
        '--dns-retries',
        '2',
        '--no-tcp-fallback',
        '--own-domain',
        'ours.example',
        '--ignore',
        '*.broken.example',
        '--cache-min-ttl',
        '5',
        '--cache-max-ttl',
        '600',
        '--negative-ttl',
        '30',
        '--cache-size',
        '99',
        '--strict-maps',
        '--no-watch-maps',
        '--no-srv',
        '--srv-check',
      ]),
      'routing.',
    );
    assert.deepEqual(o, {
      'routing.maps': [
        { path: 'a.map', format: 'yaml' },
        { path: 'b.yml', format: 'yaml' },
      ],
      'routing.strictMaps': true,
      'routing.watchMaps': false,
      'routing.srv': false,
      'routing.resolver.servers': ['127.0.0.1:53', '[::1]:5353'],
      'routing.resolver.timeout': 500,
      'routing.resolver.retries': 2,
      'routing.resolver.tcpFallback': false,
      'routing.dnssec': 'require',
      'routing.cache.minTtl': 5,
      'routing.cache.maxTtl': 600,
      'routing.cache.negativeTtl': 30,
      'routing.cache.maxEntries': 99,
      'routing.ownDomains': ['ours.example'],
      'routing.ignore': ['*.broken.example'],
      'routing.srvCheck': true,
    });
    assert.deepEqual(routingOverrides(ctx([])), {});
    // Without --map-format no format is set, so each file's format is inferred when it is loaded.
    assert.deepEqual(routingOverrides(ctx(['--map', 'community.yml', '--map', 'peers.map'])), {
      maps: [{ path: 'community.yml' }, { path: 'peers.map' }],
    });
  });

  it('flags override the file and go through the schema; bad values name the key', () => {
    const cfg = loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(['--resolver', '127.0.0.1:5300', '--dnssec', 'off'])) });
    assert.deepEqual(cfg.resolver.servers, [{ host: '127.0.0.1', port: 5300 }]);
    assert.equal(cfg.dnssec, 'off');
    assert.throws(
      () => loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(['--resolver', 'nonsense'])) }),
      (e: unknown) => e instanceof ConfigError && /resolver\.servers\.0/.test(e.message),
    );
    assert.throws(
      () => loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(['--cache-min-ttl', '100', '--cache-max-ttl', '10'])) }),
      /cache\.minTtl: minTtl must not exceed maxTtl/,
    );
    assert.throws(
      () => loadConfig(routingConfigSchema, { overrides: { surprise: 1 } }),
      (e: unknown) => e instanceof ConfigError && /surprise/.test(e.message),
    );
    // --dns-timeout takes the config's duration syntax, so a bad one is the schema's to refuse, naming the key.
    assert.throws(
      () => loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(['--dns-timeout', 'soon'])) }),
      (e: unknown) => e instanceof ConfigError && /resolver\.timeout: must be a duration/.test(e.message),
    );
    assert.equal(loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(['--dns-timeout', '3s'])) }).resolver.timeout, 3000);
    assert.throws(() => routingOverrides(ctx(['--dns-retries', 'many'])), UsageError);
    assert.throws(() => routingOverrides(ctx(['--map-format', 'yaml'])), /give at least one --map/);
  });
});

describe('DNS through Tor flags', () => {
  it('map to resolver.transport, resolver.tor.* and resolver.torDomains; ADDRESS#NAME is DNS over TLS', () => {
    const o = routingOverrides(
      ctx([
        '--dns-transport',
        'tor',
        '--dns-tor-resolver',
        'abc.onion:53',
        '--dns-tor-resolver',
        '192.0.2.53:853#dns.example.net',
        '--dns-tor-ca',
        '/etc/ssl/dns-ca.pem',
        '--dns-tor-socks',
        '127.0.0.1:9150',
        '--dns-tor-timeout',
        '20s',
        '--dns-tor-idle-timeout',
        '600',
        '--tor-domain',
        '*.onionmx.example',
      ]),
      'routing.',
    );
    assert.deepEqual(o, {
      'routing.resolver.transport': 'tor',
      'routing.resolver.tor.servers': [
        { address: 'abc.onion:53' },
        { address: '192.0.2.53:853', tls: { name: 'dns.example.net', ca: '/etc/ssl/dns-ca.pem' } },
      ],
      'routing.resolver.tor.socks': '127.0.0.1:9150',
      'routing.resolver.tor.timeout': '20s',
      'routing.resolver.tor.idleTimeout': 600,
      'routing.resolver.torDomains': ['*.onionmx.example'],
    });
  });

  it('go through the schema with the file: strict mode, validated, bad values naming the key', () => {
    const onion = `${'a'.repeat(56)}.onion`;
    const cfg = loadConfig(routingConfigSchema, {
      overrides: routingOverrides(
        ctx([
          '--dns-transport',
          'tor',
          '--dns-tor-resolver',
          `${onion}:53`,
          '--dns-tor-resolver',
          '127.0.0.1:853#dot.example',
          '--dns-tor-timeout',
          '20s',
          '--dns-tor-idle-timeout',
          '600',
        ]),
      ),
    });
    assert.equal(cfg.resolver.transport, 'tor');
    assert.deepEqual(cfg.resolver.tor?.servers, [
      { address: { host: onion, port: 53 } },
      { address: { host: '127.0.0.1', port: 853 }, tls: { name: 'dot.example' } },
    ]);
    assert.deepEqual(cfg.resolver.tor?.socks, { host: '127.0.0.1', port: 9050 });
    assert.equal(cfg.resolver.tor?.timeout, 20_000);
    assert.equal(cfg.resolver.tor?.idleTimeout, 600_000, 'a plain number is seconds');
    const fails = (args: string[], key: RegExp) =>
      assert.throws(
        () => loadConfig(routingConfigSchema, { overrides: routingOverrides(ctx(args)) }),
        (e: unknown) => e instanceof ConfigError && key.test(e.message),
        args.join(' '),
      );
    fails(['--dns-transport', 'tor'], /resolver\.tor: transport is tor .* no Tor resolver/);
    fails(['--dns-transport', 'carrier-pigeon'], /resolver\.transport: /);
    fails(['--dns-tor-resolver', '192.0.2.53:853'], /resolver\.tor\.servers\.0\.tls: .*through a Tor exit/);
    fails(['--tor-domain', 'x.example'], /resolver\.tor: torDomains .* no Tor resolver/);
    fails(['--dns-tor-resolver', `${onion}:53`, '--dns-tor-timeout', 'later'], /resolver\.tor\.timeout: must be a duration/);
    assert.throws(() => routingOverrides(ctx(['--dns-tor-resolver', '127.0.0.1:853#'])), /the name after # is empty/);
    assert.throws(
      () => routingOverrides(ctx(['--dns-tor-resolver', `${onion}:53`, '--dns-tor-ca', 'ca.pem'])),
      /--dns-tor-ca applies to --dns-tor-resolver ADDRESS#NAME/,
    );
    // A file's Tor resolvers stay unless the flag replaces them; a flag for one key leaves the others.
    const dir = mkdtempSync(join(tmpdir(), 'pg-tor-flags-'));
    try {
      const file = join(dir, 'routing.yaml');
      writeFileSync(file, `routing:\n  resolver:\n    transport: tor\n    tor:\n      servers:\n        - address: ${onion}:53\n`);
      const merged = loadConfig(routingConfigSchema, {
        file,
        section: 'routing',
        overrides: routingOverrides(ctx(['--dns-tor-socks', '127.0.0.1:9150'])),
      });
      assert.deepEqual(merged.resolver.tor?.servers, [{ address: { host: onion, port: 53 } }]);
      assert.deepEqual(merged.resolver.tor?.socks, { host: '127.0.0.1', port: 9150 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('default resolver', () => {
  it('is the first usable nameserver of resolv.conf on port 53, else 127.0.0.1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-resolv-'));
    try {
      const f = join(dir, 'resolv.conf');
      writeFileSync(f, '# comment\nsearch example.org\nnameserver bogus\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\n');
      assert.deepEqual(systemResolvers(f), [{ host: 'fe80::1%eth0', port: 53 }]);
      writeFileSync(f, 'options edns0\n');
      assert.deepEqual(systemResolvers(f), [{ host: '127.0.0.1', port: 53 }]);
      assert.deepEqual(systemResolvers(join(dir, 'missing')), [{ host: '127.0.0.1', port: 53 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
