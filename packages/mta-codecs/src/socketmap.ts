/**
 * Postfix socketmap_table(5) codec: a netstring request `name SP key`, a netstring reply
 * `OK SP data` | `NOTFOUND SP` | `TEMP SP reason` | `TIMEOUT SP reason` | `PERM SP reason`.
 * Pure functions; framing lives in netstring.ts.
 */
import { encodeNetstring, formatNetstring } from './netstring.ts';

/** socketmap_table(5): replies are at most 100000 characters, not counting the netstring framing. */
export const SOCKETMAP_MAX_REPLY = 100_000;
/** Postfix never sends long keys; a bound keeps a hostile client from making us buffer megabytes. */
export const SOCKETMAP_MAX_REQUEST = 10_000;

export type SocketmapStatus = 'OK' | 'NOTFOUND' | 'TEMP' | 'TIMEOUT' | 'PERM';

export interface SocketmapReply {
  status: SocketmapStatus;
  /** Data for OK, reason for the failures; ignored for NOTFOUND. */
  text: string;
}

export type SocketmapRequest = { ok: true; name: string; key: string } | { ok: false; reason: string };

/** Splits a request payload at the first space into map name and key. */
export function parseSocketmapRequest(payload: Buffer): SocketmapRequest {
  const text = payload.toString('utf8');
  const sp = text.indexOf(' ');
  if (sp <= 0) return { ok: false, reason: sp === 0 ? 'request has an empty map name' : 'request has no space between map name and key' };
  const key = text.slice(sp + 1);
  if (key.length === 0) return { ok: false, reason: 'request has an empty key' };
  return { ok: true, name: text.slice(0, sp), key };
}

/** Reply payload (without netstring framing), kept within the 100000-character limit. */
export function formatSocketmapReplyPayload(reply: SocketmapReply): string {
  const payload = reply.status === 'NOTFOUND' ? 'NOTFOUND ' : `${reply.status} ${reply.text}`;
  if (Buffer.byteLength(payload, 'utf8') <= SOCKETMAP_MAX_REPLY) return payload;
  // Truncated routing data would misroute mail; a too-long reason can simply be cut.
  if (reply.status === 'OK') return 'TEMP lookup result exceeds the 100000-byte socketmap limit';
  return Buffer.from(payload, 'utf8')
    .subarray(0, SOCKETMAP_MAX_REPLY)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** The reply as sent on the wire (netstring-framed). */
export function encodeSocketmapReply(reply: SocketmapReply): Buffer {
  return encodeNetstring(formatSocketmapReplyPayload(reply));
}

/** The same bytes as encodeSocketmapReply, as a string for socket.write (one buffer fewer per reply). */
export function formatSocketmapReply(reply: SocketmapReply): string {
  return formatNetstring(formatSocketmapReplyPayload(reply));
}
