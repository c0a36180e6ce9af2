import { readFile } from 'node:fs/promises';
import { UsageError, flagOption, stringOption, type Command, type CommandContext } from '../command.ts';
import { inferMapFormat, parseMap } from '@peergroup/onionmx/routing';
import { OnionMap } from '@peergroup/onionmx/routing';
import { mapFormatSchema, type MapFormat } from '@peergroup/onionmx/routing';
import { fetchMap, mapFetchSchema, MapFetchError } from '@peergroup/onionmx/routing';

/** `--map-format`, or its older name `--format`; undefined means inferred, as everywhere else maps are loaded. */
function givenFormat(ctx: CommandContext): MapFormat | undefined {
  const given = stringOption(ctx, 'map-format') ?? stringOption(ctx, 'format');
  if (given === undefined) return undefined;
  const f = mapFormatSchema.safeParse(given);
  if (!f.success) throw new UsageError(`--map-format must be native, yaml or postfix, got "${given}"`);
  return f.data;
}

const check: Command = {
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
      for (const r of refused)
        ctx.stdout.write(`refused   ${r.file}:${r.line}: ${r.domain ?? r.onion ?? ''}${(r.domain ?? r.onion) ? ': ' : ''}${r.reason}\n`);
      ctx.stdout.write(`${file} (${format}): ${accepted.length} accepted, ${refused.length} refused\n`);
    }
    return refused.length === 0 ? 0 : 1;
  },
};

const fetch: Command = {
  path: ['onionmx', 'map', 'fetch'],
  summary: 'Fetch a minisign-signed onion map (over Tor by default), check it, and replace FILE only if every check passes',
  usage: 'FILE',
  details: [
    'The map is accepted only when its signature is by the pinned --public-key, it is not older than the map FILE has,',
    'every entry is valid (as map check), and it drops at most --max-drop of the current entries. FILE is replaced by',
    'rename, so a running router reloads it whole; on any failure FILE stays as it was. See docs/onionmx-map-format.md.',
    'Exit status: 0 replaced or unchanged, 1 refused (signature, entries, drop, size), 75 temporary (network), 64 usage.',
  ].join('\n'),
  options: {
    url: { type: 'string', arg: 'URL', description: 'http://ONION/... or https://... of the map', configKey: 'maps[].fetch.url' },
    'signature-url': {
      type: 'string',
      arg: 'URL',
      description: 'URL of the .minisig',
      defaultText: 'URL.minisig',
      configKey: 'maps[].fetch.signatureUrl',
    },
    'public-key': {
      type: 'string',
      arg: 'KEY',
      description: 'minisign public key (RWQ..., the base64 line of minisign.pub)',
      configKey: 'maps[].fetch.publicKey',
    },
    'max-drop': {
      type: 'string',
      arg: 'SHARE',
      description: 'refuse a map that removes more than this share of the entries',
      defaultText: '20%',
      configKey: 'maps[].fetch.maxDrop',
    },
    'max-size': {
      type: 'string',
      arg: 'BYTES',
      description: 'refuse a larger download',
      defaultText: '16777216',
      configKey: 'maps[].fetch.maxSize',
    },
    timeout: {
      type: 'string',
      arg: 'DURATION',
      description: 'whole fetch',
      defaultText: '2m',
      configKey: 'maps[].fetch.timeout',
      durationUnit: 's',
    },
    socks: {
      type: 'string',
      arg: 'IP:PORT',
      description: 'Tor SOCKS port',
      defaultText: '127.0.0.1:9050',
      configKey: 'maps[].fetch.socks',
    },
    'no-tor': { type: 'boolean', description: 'fetch an https:// URL directly, not through Tor', configKey: 'maps[].fetch.viaTor' },
    'map-format': {
      type: 'string',
      arg: 'native|yaml|postfix',
      description: 'map format',
      defaultText: 'inferred',
      configKey: 'maps[].format',
    },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError('give exactly one map FILE to replace');
    const file = ctx.positionals[0]!;
    const maxSize = stringOption(ctx, 'max-size');
    const maxDrop = stringOption(ctx, 'max-drop');
    const input = {
      url: stringOption(ctx, 'url'),
      signatureUrl: stringOption(ctx, 'signature-url'),
      publicKey: stringOption(ctx, 'public-key'),
      ...(maxDrop !== undefined ? { maxDrop: /%$/.test(maxDrop) ? maxDrop : Number(maxDrop) } : {}),
      ...(maxSize !== undefined ? { maxSize: Number(maxSize) } : {}),
      timeout: stringOption(ctx, 'timeout'),
      socks: stringOption(ctx, 'socks'),
      ...(flagOption(ctx, 'no-tor') ? { viaTor: false } : {}),
    };
    const parsed = mapFetchSchema.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
    if (!parsed.success) {
      const flag: Record<string, string> = {
        url: 'url',
        signatureUrl: 'signature-url',
        publicKey: 'public-key',
        maxDrop: 'max-drop',
        maxSize: 'max-size',
        timeout: 'timeout',
        socks: 'socks',
        viaTor: 'no-tor',
      };
      const issue = parsed.error.issues[0]!;
      const key = String(issue.path[0] ?? '');
      throw new UsageError(`--${flag[key] ?? key}: ${issue.message}`);
    }
    const json = flagOption(ctx, 'json');
    try {
      const r = await fetchMap({ path: file, format: givenFormat(ctx) }, parsed.data);
      if (json) ctx.stdout.write(JSON.stringify({ file, ...r }) + '\n');
      else if (r.outcome === 'unchanged') ctx.stdout.write(`${file}: unchanged (${r.entries} entries; signed: ${r.trustedComment})\n`);
      else
        ctx.stdout.write(`${file}: replaced, ${r.entries} entries (${r.added} new, ${r.dropped} dropped; signed: ${r.trustedComment})\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof MapFetchError)) throw err;
      if (json) ctx.stdout.write(JSON.stringify({ file, outcome: 'failed', kind: err.kind, reason: err.message }) + '\n');
      ctx.stderr.write(`${file}: kept as it was: ${err.message}\n`);
      return err.kind === 'temporary' ? 75 : 1;
    }
  },
};

export const commands: Command[] = [check, fetch];
