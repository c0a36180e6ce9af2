/**
 * A far-side onion MX for relay tests: a real SMTP server (smtp-server) on loopback whose replies are scripted by
 * the recipient's local part, recording every message it accepts byte for byte.
 *   perm*      RCPT → 550 5.1.1      temp*  RCPT → 451 4.2.1
 *   datatemp*  end of DATA → 451     dataperm*  end of DATA → 554
 *   stall*     end of DATA: never answers
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface FarMessage {
  from: string;
  to: string[];
  data: Buffer;
  mailArgs: Record<string, unknown>;
  rcptArgs: Record<string, unknown>[];
}

export interface FarMx {
  port: number;
  messages: FarMessage[];
  /** Connections that sent DATA but never completed it (the relay aborted): must never become messages. */
  aborted: number;
  /** Closes every open connection (the server keeps listening): a far side restarting under idle connections. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startFarMx(opts: Partial<SMTPServerOptions> = {}): Promise<FarMx> {
  const messages: FarMessage[] = [];
  const state = { aborted: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    hideDSN: false,
    ...opts,
    onRcptTo(address, _session, cb) {
      const local = address.address.split('@')[0]!;
      if (local.startsWith('perm')) return cb(Object.assign(new Error('5.1.1 no such user here'), { responseCode: 550 }));
      if (local.startsWith('temp')) return cb(Object.assign(new Error('4.2.1 mailbox busy, come back later'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let ended = false;
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', () => {});
      stream.on('close', () => {
        if (!ended) state.aborted++;
      });
      stream.on('end', () => {
        ended = true;
        const to = session.envelope.rcptTo.map((r) => r.address);
        const mf = session.envelope.mailFrom;
        if (to.some((t) => t.startsWith('stall'))) return; // never answer
        if (to.some((t) => t.startsWith('datatemp')))
          return cb(Object.assign(new Error('4.3.0 disk full, try later'), { responseCode: 451 }));
        if (to.some((t) => t.startsWith('dataperm'))) return cb(Object.assign(new Error('5.7.1 content rejected'), { responseCode: 554 }));
        messages.push({
          from: mf ? mf.address : '',
          to,
          data: Buffer.concat(chunks),
          mailArgs: (mf ? mf.args : {}) as Record<string, unknown>,
          rcptArgs: session.envelope.rcptTo.map((r) => (r.args || {}) as Record<string, unknown>),
        });
        cb(null, `2.0.0 queued as far${messages.length}`);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    get aborted() {
      return state.aborted;
    },
    dropConnections() {
      for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
        server.close(() => resolve());
      }),
  };
}
