/**
 * SOCKS5 (RFC 1928) client messages, username/password auth (RFC 1929) and Tor's ExtendedErrors reply codes
 * (tor(1) SocksPort flag `ExtendedErrors`, proposal 304). Pure functions over bytes: no sockets here.
 */
import { isIP } from 'node:net';
import { ipv6Bytes } from '@peergroup/mta-codecs';

export const SOCKS_VERSION = 0x05;
export const AUTH_NONE = 0x00;
export const AUTH_USERPASS = 0x02;
export const AUTH_NO_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export class SocksProtocolError extends Error {
  override name = 'SocksProtocolError';
}

/** Client greeting: the auth methods we offer. */
export function encodeGreeting(methods: number[]): Buffer {
  if (methods.length < 1 || methods.length > 255) throw new SocksProtocolError('a greeting offers 1 to 255 methods');
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods]);
}

/** Server's method selection (2 bytes). Undefined while incomplete. */
export function decodeMethodSelection(buf: Buffer): { method: number; length: 2 } | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new SocksProtocolError(`method selection has version 0x${hex(buf[0]!)}, not 0x05`);
  return { method: buf[1]!, length: 2 };
}

/** RFC 1929 sub-negotiation. Tor uses the pair only to isolate circuits (IsolateSOCKSAuth), never to authenticate. */
export function encodeUserPass(username: string, password: string): Buffer {
  const u = Buffer.from(username, 'utf8');
  const p = Buffer.from(password, 'utf8');
  if (u.length < 1 || u.length > 255) throw new SocksProtocolError('SOCKS username must be 1 to 255 bytes');
  if (p.length < 1 || p.length > 255) throw new SocksProtocolError('SOCKS password must be 1 to 255 bytes');
  return Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([p.length]), p]);
}

export function decodeUserPassReply(buf: Buffer): { ok: boolean; length: 2 } | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0x01) throw new SocksProtocolError(`auth reply has version 0x${hex(buf[0]!)}, not 0x01`);
  return { ok: buf[1] === 0x00, length: 2 };
}

/**
 * CONNECT request. A hostname goes as ATYP domain so Tor resolves `.onion` itself; resolving it locally would leak
 * the destination to DNS and fail anyway.
 */
export function encodeConnect(host: string, port: number): Buffer {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SocksProtocolError(`bad port ${port}`);
  const portBuf = Buffer.from([port >> 8, port & 0xff]);
  const ipv = isIP(host);
  if (ipv === 4) {
    return Buffer.concat([Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0x00, ATYP_IPV4]), Buffer.from(host.split('.').map(Number)), portBuf]);
  }
  if (ipv === 6) {
    return Buffer.concat([Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0x00, ATYP_IPV6]), ipv6Bytes(host), portBuf]);
  }
  const name = Buffer.from(host, 'ascii');
  if (name.length < 1 || name.length > 255) throw new SocksProtocolError('SOCKS hostname must be 1 to 255 bytes');
  return Buffer.concat([Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0x00, ATYP_DOMAIN, name.length]), name, portBuf]);
}

export interface ConnectReply {
  /** REP field: 0x00 success, otherwise an RFC 1928 or Tor extended error code. */
  reply: number;
  bound: { host: string; port: number };
  /** Bytes this reply occupied; anything after it is already stream data. */
  length: number;
}

/** Decodes a CONNECT reply. Undefined while incomplete. */
export function decodeConnectReply(buf: Buffer): ConnectReply | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== SOCKS_VERSION) throw new SocksProtocolError(`reply has version 0x${hex(buf[0]!)}, not 0x05`);
  const reply = buf[1]!;
  const atyp = buf[3]!;
  let addrLen: number;
  let addrStart = 4;
  if (atyp === ATYP_IPV4) addrLen = 4;
  else if (atyp === ATYP_IPV6) addrLen = 16;
  else if (atyp === ATYP_DOMAIN) {
    addrLen = buf[4]!;
    addrStart = 5;
  } else throw new SocksProtocolError(`reply has unknown address type 0x${hex(atyp)}`);
  const total = addrStart + addrLen + 2;
  if (buf.length < total) return undefined;
  const addr = buf.subarray(addrStart, addrStart + addrLen);
  const host =
    atyp === ATYP_IPV4
      ? [...addr].join('.')
      : atyp === ATYP_IPV6
        ? Array.from({ length: 8 }, (_, i) => addr.readUInt16BE(i * 2).toString(16)).join(':')
        : addr.toString('ascii');
  const port = buf.readUInt16BE(addrStart + addrLen);
  return { reply, bound: { host, port }, length: total };
}

export interface SocksReplyInfo {
  reply: number;
  /** Stable label for logs and metrics, e.g. `onion_desc_not_found`. */
  label: string;
  /** Human-readable reason the MTA's log shows. */
  reason: string;
  /** SMTP reply code the MTA gets: 4xx for everything that may heal, 5xx only for an address that can never work. */
  smtpCode: number;
  /** RFC 3463 enhanced status code matching smtpCode. */
  enhanced: string;
}

/** Every SOCKS reply Tor gives (RFC 1928 and Tor's ExtendedErrors), as the MTA hears it; docs/postfix.md lists each. */
export const REPLIES: Readonly<Record<number, Omit<SocksReplyInfo, 'reply'>>> = {
  0x00: { label: 'succeeded', reason: 'connected', smtpCode: 250, enhanced: '2.0.0' },
  0x01: {
    label: 'general_failure',
    reason: 'Tor: general failure (onion service reachable but its backend refused or failed)',
    smtpCode: 451,
    enhanced: '4.4.1',
  },
  0x02: {
    label: 'not_allowed',
    reason: 'Tor: connection not allowed by ruleset (check the SocksPort policy)',
    smtpCode: 451,
    enhanced: '4.4.1',
  },
  0x03: { label: 'network_unreachable', reason: 'Tor: network unreachable', smtpCode: 451, enhanced: '4.4.1' },
  0x04: { label: 'host_unreachable', reason: 'Tor: host unreachable', smtpCode: 451, enhanced: '4.4.1' },
  0x05: {
    label: 'connection_refused',
    reason: 'Tor: connection refused (the onion service does not offer this port)',
    smtpCode: 451,
    enhanced: '4.4.1',
  },
  0x06: { label: 'ttl_expired', reason: 'Tor: TTL expired / timed out', smtpCode: 451, enhanced: '4.4.2' },
  0x07: { label: 'command_not_supported', reason: 'Tor: command not supported', smtpCode: 451, enhanced: '4.4.1' },
  0x08: { label: 'address_type_not_supported', reason: 'Tor: address type not supported', smtpCode: 451, enhanced: '4.4.1' },
  0xf0: {
    label: 'onion_desc_not_found',
    reason: 'Tor: onion service descriptor not found (service offline or unknown)',
    smtpCode: 451,
    enhanced: '4.4.3',
  },
  0xf1: { label: 'onion_desc_invalid', reason: 'Tor: onion service descriptor is invalid', smtpCode: 451, enhanced: '4.4.3' },
  0xf2: { label: 'onion_intro_failed', reason: 'Tor: onion service introduction failed', smtpCode: 451, enhanced: '4.4.1' },
  0xf3: { label: 'onion_rendezvous_failed', reason: 'Tor: onion service rendezvous failed', smtpCode: 451, enhanced: '4.4.1' },
  0xf4: {
    label: 'onion_client_auth_missing',
    reason: 'Tor: onion service requires client authorization',
    smtpCode: 451,
    enhanced: '4.7.0',
  },
  0xf5: { label: 'onion_client_auth_bad', reason: 'Tor: onion service client authorization failed', smtpCode: 451, enhanced: '4.7.0' },
  0xf6: { label: 'onion_address_invalid', reason: 'Tor: invalid onion address', smtpCode: 554, enhanced: '5.1.2' },
  0xf7: { label: 'onion_intro_timeout', reason: 'Tor: onion service introduction timed out', smtpCode: 451, enhanced: '4.4.2' },
};

/** What a REP code means for mail delivery. Unknown codes are temporary: a new Tor may add codes, none should bounce mail. */
export function socksReplyInfo(reply: number): SocksReplyInfo {
  const known = REPLIES[reply];
  if (known) return { reply, ...known };
  return { reply, label: `unknown_0x${hex(reply)}`, reason: `Tor: SOCKS reply 0x${hex(reply)}`, smtpCode: 451, enhanced: '4.4.0' };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
