/**
 * A far-side MX speaking raw SMTP with a scripted reply per phase, for fault tests: what smtp-server cannot do
 * (a 421 greeting, a non-354 answer to DATA, silence at any phase). Records every message it accepted.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type Phase = 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'dataEnd';

/** A reply line such as `451 4.3.0 busy`, or 'stall' to never answer. Unscripted phases succeed. */
export type Script = Partial<Record<Phase, string>>;

export interface ScriptedMx {
  port: number;
  messages: { from: string; to: string[]; data: Buffer }[];
  /** The current script; changes apply to open connections too. */
  script: Script;
  /** Connections that ended inside DATA without the final dot. */
  aborted: number;
  close(): Promise<void>;
}

const OK: Record<Phase, string> = {
  greeting: '220 far.example ESMTP scripted',
  ehlo: '250-far.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 100000000\r\n250 SMTPUTF8',
  mail: '250 2.1.0 ok',
  rcpt: '250 2.1.5 ok',
  data: '354 go ahead',
  dataEnd: '250 2.0.0 queued',
};

export async function startScriptedMx(script: Script = {}): Promise<ScriptedMx> {
  const sockets = new Set<Socket>();
  const mx: ScriptedMx = { port: 0, messages: [], script, aborted: 0, close: async () => undefined };
  const server = createServer((sock) => {
    sockets.add(sock);
    // Read at every reply, so a connection the relay keeps for reuse follows a script changed in between.
    const say = (phase: Phase): boolean => {
      const line = mx.script[phase] ?? OK[phase];
      if (line === 'stall') return false;
      sock.write(line + '\r\n');
      if (line.startsWith('421')) sock.end();
      return /^[23]/.test(line);
    };
    let buf = Buffer.alloc(0);
    let inData = false;
    let from = '';
    let to: string[] = [];
    let body: Buffer[] = [];
    sock.on('close', () => {
      sockets.delete(sock);
      if (inData) mx.aborted++;
    });
    sock.on('error', () => {});
    if (!say('greeting')) return;
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const startEnd = buf.subarray(0, 3).equals(Buffer.from('.\r\n')) && body.length === 0;
          if (end < 0 && !startEnd) return;
          const content = startEnd ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(startEnd ? 3 : end + 5);
          inData = false;
          const text = Buffer.from(content.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
          if (say('dataEnd')) mx.messages.push({ from, to, data: text });
          body = [];
          continue;
        }
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') say('ehlo');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          say('mail');
        } else if (verb === 'RCPT') {
          if (say('rcpt')) to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
        } else if (verb === 'DATA') {
          if (say('data')) {
            inData = true;
            body = [];
          }
        } else if (verb === 'QUIT') {
          sock.end('221 bye\r\n');
        } else if (verb === 'RSET') sock.write('250 ok\r\n');
        else sock.write('502 5.5.2 unknown\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  mx.port = (server.address() as AddressInfo).port;
  mx.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return mx;
}
