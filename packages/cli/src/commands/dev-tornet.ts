import { untilStopped } from '../run-service.ts';
import { rmSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '../config.ts';
import { numberOption, UsageError, flagOption, listOption, stringOption, type Command, type OptionSpec } from '../command.ts';
import { startTornet, writeTornetState, type TornetServiceSpec } from '../../../onionmx/src/dev/tornet.ts';
import { formatHostPort, parseHostPort } from '../../../onionmx/src/host-port.ts';

/** `name=host:port` or `name:virtualport=host:port` (flag form of a services entry). */
export function parseServiceFlag(text: string): TornetServiceSpec {
  const m = /^([A-Za-z0-9_-]+)(?::(\d+))?=(.+)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not NAME=HOST:PORT or NAME:VIRTUALPORT=HOST:PORT`);
  const target = parseHostPort(m[3]!, `service ${m[1]} target`);
  const spec: TornetServiceSpec = { name: m[1]!, target };
  if (m[2] !== undefined) {
    const vp = Number(m[2]);
    if (vp < 1 || vp > 65535) throw new Error(`service ${m[1]}: virtual port ${m[2]} out of range`);
    spec.virtualPort = vp;
  }
  return spec;
}

const serviceSchema = z.union([
  z.string().transform((text, ctx) => {
    try {
      return parseServiceFlag(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only'),
      target: z.string().transform((text, ctx) => {
        try {
          return parseHostPort(text, 'target');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
      virtualPort: z.number().int().min(1).max(65535).optional(),
    })
    .strict(),
]);

export const devTornetConfigSchema = z
  .object({
    dir: z.string().min(1).optional(),
    relays: z.number().int().min(1).max(20).default(2),
    services: z
      .array(serviceSchema)
      .default([])
      .refine((list) => new Set(list.map((s) => s.name)).size === list.length, 'service names must be unique'),
    state: z.string().min(1).optional(),
    readyTimeout: z.number().int().min(10).max(3600).default(120),
    keepLogs: z.boolean().optional(),
  })
  .strict();

export type DevTornetConfig = z.output<typeof devTornetConfigSchema>;

const options: Record<string, OptionSpec> = {
  config: { type: 'string', arg: 'FILE', description: 'YAML config file; settings are read from its "tornet" section' },
  dir: { type: 'string', arg: 'DIR', description: 'working directory for the nodes (kept afterwards)', defaultText: 'a new temporary directory, removed at exit', configKey: 'dir' },
  services: {
    type: 'string',
    multiple: true,
    arg: 'NAME[:VPORT]=HOST:PORT',
    description: 'an onion service (HiddenServiceDir) whose virtual port VPORT (default 25) forwards to HOST:PORT',
    configKey: 'services',
  },
  state: { type: 'string', arg: 'FILE', description: 'write the network state (JSON) here, for PEERGROUP_TORNET_STATE / attachTornet()', configKey: 'state' },
  relays: { type: 'string', arg: 'N', description: 'relays besides the 3 directory authorities', defaultText: '2', configKey: 'relays' },
  'ready-timeout': { type: 'string', arg: 'SECONDS', description: 'give up when the network is not usable after this long', defaultText: '120', configKey: 'readyTimeout' },
  'keep-logs': { type: 'boolean', description: 'keep the working directory with every node\'s notice.log after stopping', configKey: 'keepLogs' },
};

export const command: Command = {
  path: ['dev', 'tornet'],
  summary: 'run a private Tor network on loopback (3 authorities, relays, an onion service node and a client) for manual work',
  details: [
    'Starts tor processes with TestingTorNetwork 1, waits until the client has bootstrapped and every --services onion',
    'answers through the client SOCKS port, prints the ports and onion hostnames, and runs until Ctrl-C, then stops',
    'every tor process it started. The control ports take no authentication: loopback test networks only.',
  ].join('\n'),
  options,
  async run(ctx) {
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const config = loadConfig(devTornetConfigSchema, {
      file: stringOption(ctx, 'config'),
      section: 'tornet',
      overrides: {
        dir: stringOption(ctx, 'dir'),
        services: listOption(ctx, 'services'),
        state: stringOption(ctx, 'state'),
        relays: numberOption(ctx, 'relays'),
        readyTimeout: numberOption(ctx, 'ready-timeout'),
        keepLogs: flagOption(ctx, 'keep-logs') || undefined,
      },
    });
    const out = (line: string): void => void ctx.stdout.write(line + '\n');
    const starting = startTornet({
      ...(config.dir !== undefined ? { dir: config.dir } : {}),
      relays: config.relays,
      services: config.services,
      readyTimeoutMs: config.readyTimeout * 1000,
      ...(config.keepLogs !== undefined ? { keepLogs: config.keepLogs } : {}),
      handleSignals: false,
      signal: ctx.stopSignal,
      log: (line) => void ctx.stderr.write(`${line}\n`),
    });
    let net;
    try {
      net = await starting;
    } catch (err) {
      // Ctrl-C while starting: the nodes are already stopped, nothing to report.
      if (ctx.stopSignal.aborted) return 130;
      throw err;
    }
    try {
      if (config.state) writeTornetState(net, config.state);
      out(`socks           ${formatHostPort(net.socks)}   (ExtendedErrors; a different SOCKS username gets different circuits)`);
      out(`dns             ${formatHostPort(net.dns)}   (UDP; AutomapHostsOnResolve 1)`);
      out(`control         ${formatHostPort(net.control)}   (service node: ADD_ONION / DEL_ONION; no authentication)`);
      out(`client-control  ${formatHostPort(net.clientControl)}   (client node; no authentication)`);
      out(`dir             ${net.dir}`);
      for (const s of net.services) out(`service         ${s.name}  ${s.hostname}  -> ${formatHostPort(s.target)}`);
      if (config.state) out(`state           ${config.state}`);
      out(`pids            ${net.pids.join(' ')}`);
      out('Running; Ctrl-C stops every tor process.');
      // The tor children and control sockets are unref'd (so test files can exit); this keeps the command alive.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      try {
        await untilStopped(ctx.stopSignal);
      } finally {
        clearInterval(keepAlive);
      }
    } finally {
      ctx.stderr.write('stopping the tor network\n');
      await net.stop();
      if (config.state) rmSync(config.state, { force: true });
    }
    return 0;
  },
};
