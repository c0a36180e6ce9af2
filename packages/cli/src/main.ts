import { parseArgs } from 'node:util';
import type { Command, OptionSpec } from './command.ts';
import { UsageError } from './command.ts';
import { registry, type CommandEntry } from './registry.ts';

/** Every command, each module imported; for tests and tools. `main` loads only the command it runs. */
export async function loadCommands(): Promise<Command[]> {
  const all = await Promise.all(registry.map((e) => e.load()));
  return all.sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')));
}

const UNIT_WORDS = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as const;

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options)
    .filter(([, spec]) => !spec.hidden)
    .map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
      const extra = [
        spec.multiple ? 'repeatable' : '',
        spec.defaultText ? `default ${spec.defaultText}` : '',
        spec.durationUnit ? `a plain number is ${UNIT_WORDS[spec.durationUnit]}` : '',
        spec.configKey ? `config: ${spec.configKey}` : '',
      ].filter(Boolean);
      return [flag, spec.description + (extra.length ? ` (${extra.join('; ')})` : '')] as const;
    });
  rows.push(['-h, --help', 'show this help'] as const);
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: peergroup ${cmd.path.join(' ')}${cmd.usage ? ` ${cmd.usage}` : ''} [options]`, '', cmd.summary];
  if (cmd.details) lines.push('', cmd.details.trimEnd());
  lines.push('', 'Options:', ...optionLines(cmd.options));
  return lines.join('\n') + '\n';
}

export function groupHelp(commands: Pick<CommandEntry, 'path' | 'summary'>[], prefix: string[]): string {
  const under = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const width = Math.max(...under.map((c) => c.path.join(' ').length));
  const title = prefix.length ? `peergroup ${prefix.join(' ')}` : 'peergroup';
  return [
    `Usage: ${title} <command> [options]`,
    '',
    prefix.length
      ? `Commands under "${prefix.join(' ')}":`
      : 'peergroup: SMTP over Tor onion services and invite-based accounts for community mail providers.\n\nCommands:',
    ...under.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    `Run "peergroup <command> --help" (or "peergroup help <command>") for the options of one command; "peergroup --version" prints the version.`,
    '',
  ].join('\n');
}

/**
 * The --help texts the bundle carries (help.json beside it, written at build time from the command modules), so that
 * help loads no command module and none of the daemon code those import; from dist/ or src/ there is none, and
 * help comes from the module.
 */
async function builtHelp(): Promise<Record<string, string>> {
  const { readFileSync } = await import('node:fs');
  try {
    return JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** How long a service whose supervisor died has to stop before it exits anyway (serve's default --stop-timeout). */
const ORPHAN_STOP_MS = 10_000;

export async function main(argv: string[], io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    const { readFileSync } = await import('node:fs');
    const { cliPackageDir } = await import('./package-dir.ts');
    const pkg = JSON.parse(readFileSync(`${cliPackageDir()}/package.json`, 'utf8')) as { version: string };
    io.stdout.write(`peergroup ${pkg.version}\n`);
    return 0;
  }
  // `peergroup help [command…]` is `peergroup [command…] --help`.
  if (argv[0] === 'help') return main([...argv.slice(1).filter((a) => a !== '--help' && a !== '-h'), '--help'], io);
  const commands = registry;
  const words = argv.filter((a) => !a.startsWith('-'));
  // Longest command path that is a prefix of the leading words.
  let best: CommandEntry | undefined;
  for (const cmd of commands) {
    if (cmd.path.every((w, i) => argv[i] === w) && (!best || cmd.path.length > best.path.length)) best = cmd;
  }
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!best) {
    const leading: string[] = [];
    for (const a of argv) {
      if (a.startsWith('-')) break;
      leading.push(a);
    }
    const known = commands.some((c) => leading.length > 0 && leading.every((w, i) => c.path[i] === w));
    if (known || argv.length === 0 || (wantsHelp && leading.length === 0)) {
      io.stdout.write(groupHelp(commands, leading));
      return argv.length === 0 || wantsHelp ? 0 : 64;
    }
    io.stderr.write(`peergroup: unknown command "${words.join(' ')}"\n\n${groupHelp(commands, [])}`);
    return 64;
  }
  if (wantsHelp) {
    const text = (await builtHelp())[best.path.join(' ')];
    io.stdout.write(text ?? commandHelp(await best.load()));
    return 0;
  }
  const cmd = await best.load();
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(cmd.options)) {
    parseOptions[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(cmd.path.length),
      options: parseOptions,
      allowPositionals: true,
      strict: true,
    });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // A process started by `peergroup serve` has an IPC channel to it (and nothing else does): when the supervisor
    // dies — SIGKILL included, which it cannot pass on — the channel closes, and the service stops as on SIGTERM.
    // Nobody is left to kill a stop that hangs, so that is bounded here.
    if (process.channel) {
      process.once('disconnect', () => {
        onSignal();
        setTimeout(() => process.exit(70), ORPHAN_STOP_MS).unref();
      });
    }
    return await cmd.run({ values, positionals, stdout: io.stdout, stderr: io.stderr, stopSignal: controller.signal });
  } catch (err) {
    // config.ts brings yaml; the command that threw has loaded it already.
    const { ConfigError } = await import('./config.ts');
    if (err instanceof ConfigError) {
      io.stderr.write(`peergroup ${cmd.path.join(' ')}: ${err.describe(cmd.options)}\n`);
      return 78;
    }
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      // The error and where the options are; the whole help would bury the one line that matters.
      io.stderr.write(
        `peergroup ${cmd.path.join(' ')}: ${(err as Error).message}\nRun "peergroup ${cmd.path.join(' ')} --help" for the options.\n`,
      );
      return 64;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // An open channel would keep the finished process alive.
    if (process.connected) process.disconnect();
  }
}
