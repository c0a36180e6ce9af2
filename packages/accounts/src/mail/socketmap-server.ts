// Postfix socketmap_table(5) for the account domains: `domain` (virtual_mailbox_domains), `mailbox`
// (virtual_mailbox_maps), `alias` (virtual_alias_maps), `sender` (smtpd_sender_login_maps). Unknown → NOTFOUND
// (Postfix rejects at RCPT with 550), any failure of ours → TEMP (451, the client retries). Never PERM: a
// misconfigured map name must not bounce mail either.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  formatSocketmapReply,
  NetstringDecoder,
  parseSocketmapRequest,
  SOCKETMAP_MAX_REQUEST,
  type SocketmapReply,
} from '@peergroup/mta-codecs';
import type { MailDirectory } from './directory.ts';
import { OrderedWriter } from '@peergroup/service';
import type { Deadlines } from './deadlines.ts';
import { secondsSince, type MailMetrics } from './metrics.ts';

export const SOCKETMAP_MAPS = ['domain', 'mailbox', 'alias', 'sender'] as const;
export type SocketmapMap = (typeof SOCKETMAP_MAPS)[number];

export async function answerSocketmap(dir: MailDirectory, map: string, key: string): Promise<SocketmapReply> {
  let value: string | null;
  switch (map) {
    case 'domain':
      value = (await dir.isOurDomain(key)) ? 'OK' : null;
      break;
    case 'mailbox':
      value = await dir.mailbox(key);
      break;
    case 'alias':
      value = await dir.alias(key);
      break;
    case 'sender':
      value = await dir.senderLogin(key);
      break;
    default:
      return { status: 'TEMP', text: `unknown map name "${map}" (peergroup serves ${SOCKETMAP_MAPS.join(', ')})` };
  }
  return value === null ? { status: 'NOTFOUND', text: '' } : { status: 'OK', text: value };
}

export function serveSocketmap(socket: Socket, dir: MailDirectory, metrics: MailMetrics, logger: Logger, deadlines: Deadlines): void {
  const decoder = new NetstringDecoder(SOCKETMAP_MAX_REQUEST);
  const out = new OrderedWriter(socket);
  // A Map, not an object: the name is the client's, and "constructor" must not find Object's.
  const series = new Map(SOCKETMAP_MAPS.map((m) => [m as string, metrics.series('socketmap', m)]));
  const unknown = metrics.series('socketmap', 'unknown');
  socket.setTimeout(10 * 60_000, () => socket.end());
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'socketmap client sent a malformed netstring; closing');
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      const reply = out.reserve();
      const req = parseSocketmapRequest(frame);
      if (!req.ok) {
        reply(formatSocketmapReply({ status: 'TEMP', text: `bad request: ${req.reason}` }));
        continue;
      }
      const started = process.hrtime.bigint();
      const s = series.get(req.name) ?? unknown;
      deadlines.within(answerSocketmap(dir, req.name, req.key), 'lookup').then(
        (r) => {
          s.record(r.status === 'OK' ? 'found' : r.status === 'NOTFOUND' ? 'notfound' : 'temp', secondsSince(started));
          reply(formatSocketmapReply(r));
        },
        (err: unknown) => {
          s.record('temp');
          logger.warn({ map: s.map, err: (err as Error).message }, 'socketmap lookup failed; Postfix gets TEMP');
          reply(formatSocketmapReply({ status: 'TEMP', text: 'peergroup: temporary lookup failure' }));
        },
      );
    }
  });
}
