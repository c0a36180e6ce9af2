import { readFile } from 'node:fs/promises';
import { UsageError, flagOption, stringOption, type Command, type CommandContext } from '../command.ts';
import { inferMapFormat, parseMap } from '@peergroup/onionmx';
import { OnionMap } from '@peergroup/onionmx';
import { mapFormatSchema, type MapFormat } from '@peergroup/onionmx';

/** `--map-format`, or its older name `--format`; undefined means inferred, as everywhere else maps are loaded. */
function givenFormat(ctx: CommandContext): MapFormat | undefined {
  const given = stringOption(ctx, 'map-format') ?? stringOption(ctx, 'format');
  if (given === undefined) return undefined;
  const f = mapFormatSchema.safeParse(given);
  if (!f.success) throw new UsageError(`--map-format must be native, yaml or postfix, got "${given}"`);
  return f.data;
}

export const command: Command = {
  path: ['onionmx', 'map', 'check'],
  summary: 'Validate an onion map file and list every domain as accepted (with its onion) or refused (with line and reason)',
  usage: 'FILE',
  details: [
    'Formats: native (DOMAIN ONION[:PORT] per line), yaml (the onion-MX community format: ONION: [DOMAIN, ...]),',
    'postfix (transport(5) lines: DOMAIN smtptor:[ONION]:PORT). See docs/onionmx-map-format.md.',
    'Exit status: 0 when nothing was refused, 1 otherwise (including an unreadable file).',
  ].join('\n'),
  options: {
    'map-format': {
      type: 'string',
      arg: 'native|yaml|postfix',
      description: 'map format',
      defaultText: 'yaml for *.yml/*.yaml, else read from the file',
      configKey: 'maps[].format',
    },
    format: { type: 'string', arg: 'native|yaml|postfix', description: 'older name of --map-format' },
    json: { type: 'boolean', description: 'print {"accepted":[...],"refused":[...]} as JSON' },
  },
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('give exactly one map FILE');
    const file = ctx.positionals[0]!;
    const given = givenFormat(ctx);
    const json = flagOption(ctx, 'json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const reason = `cannot read map: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      if (json) ctx.stdout.write(JSON.stringify({ accepted: [], refused: [{ file, line: 0, reason }] }) + '\n');
      else ctx.stderr.write(`${file}: ${reason}\n`);
      return 1;
    }
    // OnionMap also refuses a domain mapped twice to different onions, which a parser alone cannot see.
    const format = given ?? inferMapFormat(file, text);
    const map = new OnionMap([parseMap(text, format, file)]);
    const accepted = [...map.entries].sort((a, b) => a.line - b.line);
    const refused = [...map.refused].sort((a, b) => a.line - b.line);
    if (json) {
      ctx.stdout.write(
        JSON.stringify({
          format,
          accepted: accepted.map((e) => ({ domain: e.domain, onion: e.onion, port: e.port, file: e.file, line: e.line })),
          refused: refused.map((r) => ({
            ...(r.domain !== undefined ? { domain: r.domain } : {}),
            ...(r.onion !== undefined ? { onion: r.onion } : {}),
            file: r.file,
            line: r.line,
            reason: r.reason,
          })),
        }) + '\n',
      );
    } else {
      const width = Math.max(0, ...accepted.map((e) => e.domain.length));
      for (const e of accepted) ctx.stdout.write(`accepted  ${e.domain.padEnd(width)}  ${e.onion}:${e.port}  (${e.file}:${e.line})\n`);
      for (const r of refused) ctx.stdout.write(`refused   ${r.file}:${r.line}: ${r.domain ?? r.onion ?? ''}${r.domain ?? r.onion ? ': ' : ''}${r.reason}\n`);
      ctx.stdout.write(`${file} (${format}): ${accepted.length} accepted, ${refused.length} refused\n`);
    }
    return refused.length === 0 ? 0 : 1;
  },
};
