import { untilStopped } from '../run-service.ts';
import { existsSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError, loadConfig } from '../config.ts';
import { numberOption, UsageError, flagOption, listOption, stringOption, type Command, type OptionSpec } from '../command.ts';
import { startTornet, writeTornetState, type Tornet, type TornetServiceSpec } from '@peergroup/tornet';
import { formatHostPort, listen, parseHostPort } from '@peergroup/service';

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
    socksPort: z.number().int().min(1).max(65535).optional(),
    dnsPort: z.number().int().min(1).max(65535).optional(),
    controlPort: z.number().int().min(1).max(65535).optional(),
    clientControlPort: z.number().int().min(1).max(65535).optional(),
  })
  .strict();

export type DevTornetConfig = z.output<typeof devTornetConfigSchema>;

const options: Record<string, OptionSpec> = {
  config: { type: 'string', arg: 'FILE', description: 'YAML config file; settings are read from its "tornet" section' },
  dir: {
    type: 'string',
    arg: 'DIR',
    description: 'working directory for the nodes (kept afterwards)',
    defaultText: 'a new temporary directory, removed at exit',
    configKey: 'dir',
  },
  services: {
    type: 'string',
    multiple: true,
    arg: 'NAME[:VPORT]=HOST:PORT',
    description: 'an onion service (HiddenServiceDir) whose virtual port VPORT (default 25) forwards to HOST:PORT',
    configKey: 'services',
  },
  state: {
    type: 'string',
    arg: 'FILE',
    description: 'write the network state (JSON) here, for PEERGROUP_TORNET_STATE / attachTornet()',
    configKey: 'state',
  },
  relays: { type: 'string', arg: 'N', description: 'relays besides the 3 directory authorities', defaultText: '2', configKey: 'relays' },
  'ready-timeout': {
    type: 'string',
    arg: 'SECONDS',
    description: 'give up when the network is not usable after this long',
    defaultText: '120',
    configKey: 'readyTimeout',
  },
  'keep-logs': {
    type: 'boolean',
    description: "keep the working directory with every node's notice.log after stopping",
    configKey: 'keepLogs',
  },
  'socks-port': {
    type: 'string',
    arg: 'PORT',
    description: 'client SocksPort on 127.0.0.1',
    defaultText: 'a free port, kept for --dir',
    configKey: 'socksPort',
  },
  'dns-port': {
    type: 'string',
    arg: 'PORT',
    description: 'client DNSPort (UDP) on 127.0.0.1',
    defaultText: 'a free port, kept for --dir',
    configKey: 'dnsPort',
  },
  'control-port': {
    type: 'string',
    arg: 'PORT',
    description: 'control port of the service node on 127.0.0.1',
    defaultText: 'a free port, kept for --dir',
    configKey: 'controlPort',
  },
  'client-control-port': {
    type: 'string',
    arg: 'PORT',
    description: 'control port of the client node on 127.0.0.1',
    defaultText: 'a free port, kept for --dir',
    configKey: 'clientControlPort',
  },
};

/** Where a running `dev tornet` listens for `dev tornet client stop|start` (a UNIX socket in its working directory). */
export function controlSocketPath(dir: string): string {
  return join(resolve(dir), 'control.sock');
}

/** True when something answers on the socket: another `dev tornet` runs in this directory. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      done(true);
    });
    c.once('error', () => done(false));
  });
}

/**
 * One request line, one reply line: `client stop` / `client start` → `ok …` or `error …`. Requests are handled one
 * at a time so a start cannot overtake the stop before it.
 */
async function serveControl(path: string, net: Tornet, say: (line: string) => void): Promise<Server> {
  let queue: Promise<void> = Promise.resolve();
  const socks = formatHostPort(net.socks);
  const clientPid = () => net.processes.find((p) => p.name === 'client')?.pid;
  const handle = async (request: string): Promise<string> => {
    if (request === 'client stop') {
      const pid = clientPid();
      await net.stopClient();
      say(`client stopped (pid ${pid}); SOCKS ${socks} refuses connections until "dev tornet client start"`);
      return `ok client stopped; SOCKS ${socks} now refuses connections`;
    }
    if (request === 'client start') {
      await net.startClient();
      say(`client started again (pid ${clientPid()}), same ports; SOCKS ${socks}`);
      return `ok client running (pid ${clientPid()}); SOCKS ${socks}`;
    }
    return `error unknown request "${request}" (known: client stop, client start)`;
  };
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const request = buf.slice(0, nl).trim();
      buf = '';
      queue = queue.then(async () => {
        const reply = await handle(request).catch((err: unknown) => `error ${(err as Error).message.split('\n')[0]}`);
        conn.end(reply + '\n');
      });
    });
    conn.on('error', () => undefined);
  });
  await listen(server, path, 'control socket');
  return server;
}

export const command: Command = {
  path: ['dev', 'tornet'],
  summary: 'Run a private Tor network on loopback (3 authorities, relays, an onion service node and a client) for manual work',
  details: [
    'Starts tor processes with TestingTorNetwork 1, waits until the client has bootstrapped and every --services onion',
    'answers through the client SOCKS port, prints the ports and onion hostnames, and runs until Ctrl-C, then stops',
    'every tor process it started. The control ports take no authentication: loopback test networks only.',
    'With --dir, starting again brings back the same network (onion keys and ports are kept in DIR; delete DIR for a',
    'new one). "peergroup dev tornet client stop|start --dir DIR" stops and starts only the client node of the',
    'running network ("Tor is down" and back). A tor node that dies is reported on stderr.',
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
        socksPort: numberOption(ctx, 'socks-port'),
        dnsPort: numberOption(ctx, 'dns-port'),
        controlPort: numberOption(ctx, 'control-port'),
        clientControlPort: numberOption(ctx, 'client-control-port'),
      },
    });
    if (config.dir !== undefined && (await socketAnswers(controlSocketPath(config.dir)))) {
      throw new ConfigError(
        `${config.dir}: another "peergroup dev tornet" is running in this directory; stop it first or pick another --dir`,
      );
    }
    const out = (line: string): void => void ctx.stdout.write(line + '\n');
    const starting = startTornet({
      // With --dir a restart brings back the same network: same onion keys, same ports, so maps and torrc stay valid.
      ...(config.dir !== undefined ? { dir: config.dir, reuse: true } : {}),
      ports: {
        ...(config.socksPort !== undefined ? { socks: config.socksPort } : {}),
        ...(config.dnsPort !== undefined ? { dns: config.dnsPort } : {}),
        ...(config.controlPort !== undefined ? { control: config.controlPort } : {}),
        ...(config.clientControlPort !== undefined ? { clientControl: config.clientControlPort } : {}),
      },
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
    let control: Server | undefined;
    const sock = controlSocketPath(net.dir);
    try {
      control = await serveControl(sock, net, (line) => void ctx.stderr.write(`tornet: ${line}\n`));
      if (config.state) writeTornetState(net, config.state);
      out(`socks           ${formatHostPort(net.socks)}   (ExtendedErrors; a different SOCKS username gets different circuits)`);
      out(`dns             ${formatHostPort(net.dns)}   (UDP; AutomapHostsOnResolve 1)`);
      out(`control         ${formatHostPort(net.control)}   (service node: ADD_ONION / DEL_ONION; no authentication)`);
      out(`client-control  ${formatHostPort(net.clientControl)}   (client node; no authentication)`);
      out(`dir             ${net.dir}`);
      for (const s of net.services) {
        out(`service         ${s.name}  ${s.hostname}  -> ${formatHostPort(s.target)}`);
        out(`hs-dir          ${s.name}  ${s.hiddenServiceDir}   (HiddenServiceDir, for "onionmx publish")`);
      }
      if (config.state) out(`state           ${config.state}`);
      for (const p of net.processes) out(`node            ${p.name.padEnd(8)} pid ${p.pid}   ${join(net.dir, p.name, 'notice.log')}`);
      out(`pids            ${net.pids.join(' ')}`);
      out(`control-socket  ${sock}   ("peergroup dev tornet client stop|start --dir ${net.dir}")`);
      out(
        config.dir !== undefined
          ? 'Running; Ctrl-C stops every tor process. Started again with this --dir: same onion names and ports.'
          : 'Running; Ctrl-C stops every tor process.',
      );
      // The tor children and control sockets are unref'd (so test files can exit); this keeps the command alive.
      // Once it stops, each tor node's stop() holds the process until that tor has exited.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      try {
        await untilStopped(ctx.stopSignal);
      } finally {
        clearInterval(keepAlive);
      }
    } finally {
      ctx.stderr.write('stopping the tor network\n');
      await new Promise<void>((r) => (control ? control.close(() => r()) : r()));
      if (existsSync(sock)) rmSync(sock, { force: true });
      await net.stop();
      if (config.state) rmSync(config.state, { force: true });
      ctx.stderr.write('tor network stopped\n');
    }
    return 0;
  },
};
