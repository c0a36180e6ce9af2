import { createConnection } from 'node:net';
import { UsageError, stringOption, type Command } from '../command.ts';
import { controlSocketPath } from './dev-tornet.ts';

export const command: Command = {
  path: ['dev', 'tornet', 'client'],
  usage: 'stop|start',
  summary: 'Stop or start the client node of a running "peergroup dev tornet" (Tor down, then back)',
  details: [
    'Talks to the running network through DIR/control.sock. "stop" ends the client tor process: its SOCKS and DNS',
    'ports refuse until "start", which runs it again with the same ports and waits until it has bootstrapped. The',
    'onion services stay published meanwhile.',
  ].join('\n'),
  options: {
    dir: { type: 'string', arg: 'DIR', description: 'working directory of the running network (its "dir" line)' },
  },
  async run(ctx) {
    const action = ctx.positionals[0];
    if (ctx.positionals.length !== 1 || (action !== 'stop' && action !== 'start')) throw new UsageError('say "stop" or "start"');
    const dir = stringOption(ctx, 'dir');
    if (dir === undefined) throw new UsageError('--dir DIR is required: the working directory of the running network');
    const path = controlSocketPath(dir);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = createConnection(path);
      let buf = '';
      c.setEncoding('utf8');
      c.on('connect', () => c.write(`client ${action}\n`));
      c.on('data', (d: string) => (buf += d));
      c.on('end', () => resolve(buf.trim()));
      c.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? new Error(`no "peergroup dev tornet" is running in ${dir} (nothing answers on ${path})`)
            : err,
        ),
      );
    }).catch((err: Error) => `error ${err.message}`);
    const ok = reply.startsWith('ok ');
    (ok ? ctx.stdout : ctx.stderr).write(`${reply.replace(/^(ok|error) /, '')}\n`);
    // 69: EX_UNAVAILABLE, nothing to talk to or the request failed.
    return ok ? 0 : 69;
  },
};
