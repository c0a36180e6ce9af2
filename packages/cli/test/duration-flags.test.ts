// Every duration flag takes the config file's duration syntax, and a plain number in the unit of its key, which its
// help names. The rows come from the commands' own option tables, so a new duration flag is tested once it exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { CommandContext, OptionSpec } from '../src/command.ts';
import { ConfigError } from '../src/config.ts';
import { commandHelp, loadCommands } from '../src/main.ts';
import { loadRouterConfig } from '../src/commands/onionmx-router.ts';
import { loadRelayConfig } from '../src/commands/onionmx-relay.ts';
import { loadInboundConfig } from '../src/commands/onionmx-inbound.ts';
import { loadAccountsConfig } from '../src/commands/accounts-serve.ts';

const ctx = (values: CommandContext['values']): CommandContext => ({
  values,
  positionals: [],
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stopSignal: new AbortController().signal,
});

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Per command: the loader with the least it needs to start, and how a flag's config key is read back. */
const loaders: Record<
  string,
  { load: (values: CommandContext['values']) => unknown; base: CommandContext['values']; keyOf?: (key: string) => string }
> = {
  'onionmx router': { load: (v) => loadRouterConfig(ctx(v)), base: { 'tcp-table': '127.0.0.1:0', 'no-srv': true } },
  'onionmx relay': { load: (v) => loadRelayConfig(ctx(v)), base: { lmtp: '127.0.0.1:0', 'no-srv': true } },
  'onionmx inbound': {
    load: (v) => loadInboundConfig(ctx(v)),
    base: { mx: '127.0.0.1:25', domain: ['example.org'] },
    keyOf: (k) => (k === 'probeCacheSeconds' ? 'probeCache' : k),
  },
  'accounts serve': { load: (v) => loadAccountsConfig(ctx(v), {}), base: {}, keyOf: (k) => k.replace(/^accounts\./, '') },
};

function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

test('every DURATION flag says in --help what unit a plain number is, and no flag asks for SECONDS', async () => {
  const durations: string[] = [];
  for (const c of await loadCommands()) {
    const help = commandHelp(c);
    for (const [name, spec] of Object.entries(c.options)) {
      // DNS TTLs and dev tornet's start-up limit are whole seconds by nature, not durations.
      if (spec.arg === 'SECONDS')
        assert.match(name, /ttl|^ready-timeout$/, `${c.path.join(' ')} --${name} asks for SECONDS: make it a DURATION`);
      if (spec.arg !== 'DURATION' || spec.hidden) continue;
      durations.push(`${c.path.join(' ')} --${name}`);
      assert.ok(spec.durationUnit, `${c.path.join(' ')} --${name} has no unit for a plain number`);
      const line = help.split('\n').find((l) => l.includes(`--${name} DURATION`));
      assert.match(line ?? '', /\ba plain number is (milliseconds|seconds|minutes|hours|days)\b/, `${c.path.join(' ')} --${name}: ${line}`);
    }
  }
  for (const flag of [
    'onionmx relay --timeout-connect',
    'onionmx inbound --command-timeout',
    'onionmx router --idle-timeout',
    'accounts serve --session-ttl',
    'onionmx publish --dns-timeout',
    'serve --stop-timeout',
  ]) {
    assert.ok(durations.includes(flag), `${flag} is not a DURATION flag`);
  }
});

test('duration flags × inputs: "1m", "1m30s", a plain number in the key\'s unit, and a word refused naming the key', async () => {
  const commands = await loadCommands();
  let rows = 0;
  for (const [path, { load, base, keyOf = (k: string) => k }] of Object.entries(loaders)) {
    const cmd = commands.find((c) => c.path.join(' ') === path)!;
    const flags = Object.entries(cmd.options).filter(
      (e): e is [string, OptionSpec & { durationUnit: keyof typeof UNIT_MS }] => e[1].durationUnit !== undefined,
    );
    assert.ok(flags.length > 0, path);
    for (const [flag, spec] of flags) {
      const key = keyOf(spec.configKey!);
      // The DNS-through-Tor settings are checked only with a resolver to use.
      const needs = flag.startsWith('dns-tor-') ? { 'dns-tor-resolver': ['127.0.0.1:853#dns.example.net'] } : {};
      const plain = spec.durationUnit === 'ms' ? '2000' : '30';
      const cases: [string, number][] = [
        ['1m', 60_000],
        ['1m30s', 90_000],
        [plain, Number(plain) * UNIT_MS[spec.durationUnit]],
      ];
      for (const [input, ms] of cases) {
        // A few keys allow at most a minute: "1m30s" is over their maximum and must be refused as such.
        let got: unknown;
        try {
          got = at(load({ ...base, ...needs, [flag]: input }), key);
        } catch (err) {
          assert.ok(err instanceof ConfigError, `${path} --${flag} ${input}: ${(err as Error).message}`);
          assert.match(err.message, /must be between/, `${path} --${flag} ${input}`);
          assert.equal(input, '1m30s', `${path} --${flag} ${input} refused: ${err.message}`);
          continue;
        }
        assert.equal(got, ms, `${path} --${flag} ${input} → ${key}`);
        rows++;
      }
      assert.throws(
        () => load({ ...base, ...needs, [flag]: 'soon' }),
        (err: Error) =>
          err instanceof ConfigError &&
          err.message.includes(spec.configKey!.replace(/^accounts\./, '')) &&
          /must be a duration/.test(err.message),
        `${path} --${flag} soon`,
      );
    }
  }
  assert.ok(rows > 40, `only ${rows} rows`);
});
