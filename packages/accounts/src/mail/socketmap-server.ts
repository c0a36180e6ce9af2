// Postfix socketmap_table(5) for the account domains: `domain` (virtual_mailbox_domains), `mailbox`
// (virtual_mailbox_maps), `alias` (virtual_alias_maps), `sender` (smtpd_sender_login_maps). Unknown → NOTFOUND
// (Postfix rejects at RCPT with 550), any failure of ours → TEMP (451, the client retries). Never PERM: a
// misconfigured map name must not bounce mail either.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  encodeSocketmapReply,
  NetstringDecoder,
  parseSocketmapRequest,
  SOCKETMAP_MAX_REQUEST,
  type SocketmapReply,
} from '@peergroup/mta-codecs';
import type { MailDirectory } from './directory.ts';
import type { MailMetrics } from './metrics.ts';
import { OrderedWriter, withDeadline } from './ordered-writer.ts';

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

export function serveSocketmap(socket: Socket, dir: MailDirectory, metrics: MailMetrics, logger: Logger, timeoutMs: number): void {
  const decoder = new NetstringDecoder(SOCKETMAP_MAX_REQUEST);
  const out = new OrderedWriter(socket);
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
        reply(encodeSocketmapReply({ status: 'TEMP', text: `bad request: ${req.reason}` }));
        continue;
      }
      const started = process.hrtime.bigint();
      const map = (SOCKETMAP_MAPS as readonly string[]).includes(req.name) ? req.name : 'unknown';
      withDeadline(answerSocketmap(dir, req.name, req.key), timeoutMs, 'lookup').then(
        (r) => {
          metrics.lookups.inc({
            protocol: 'socketmap',
            map,
            result: r.status === 'OK' ? 'found' : r.status === 'NOTFOUND' ? 'notfound' : 'temp',
          });
          metrics.duration.observe({ protocol: 'socketmap', map }, Number(process.hrtime.bigint() - started) / 1e9);
          reply(encodeSocketmapReply(r));
        },
        (err: unknown) => {
          metrics.lookups.inc({ protocol: 'socketmap', map, result: 'temp' });
          logger.warn({ map, err: (err as Error).message }, 'socketmap lookup failed; Postfix gets TEMP');
          reply(encodeSocketmapReply({ status: 'TEMP', text: 'peergroup: temporary lookup failure' }));
        },
      );
    }
  });
}
