/**
 * XCLIENT (Postfix extension, https://www.postfix.org/XCLIENT_README.html) codec.
 *
 * The inbound front uses XCLIENT so the internal MX judges a Tor session as the configured unprivileged pseudo client
 * (e.g. NAME=onion ADDR=192.0.2.1) instead of as the trusted loopback address the TCP connection really comes from.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const XCLIENT_ATTRIBUTES = ['NAME', 'REVERSE_NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'DESTADDR', 'DESTPORT'] as const;
export type XclientAttribute = (typeof XCLIENT_ATTRIBUTES)[number];
export type XclientAttributes = Partial<Record<XclientAttribute, string>>;

/** Postfix's smtpd limits a command line to 2048 bytes by default; stay far below and split into several commands. */
const MAX_COMMAND = 512;

/** RFC 3461 xtext: printable ASCII except `+` and `=` as is, everything else as `+XX` (of the UTF-8 bytes). */
export function xtextEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte >= 33 && byte <= 126 && byte !== 0x2b && byte !== 0x3d
        ? String.fromCharCode(byte)
        : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function xtextDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad xtext escape at offset ${i}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) {
      bytes.push(c);
    } else {
      throw new Error(`character ${c} not allowed in xtext`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Attribute names the server offers, from the lines of an EHLO reply (`XCLIENT NAME ADDR PROTO HELO`); null when the
 * server does not offer XCLIENT to us at all.
 */
export function xclientCapability(ehloLines: readonly string[]): Set<string> | null {
  for (const line of ehloLines) {
    const words = line.trim().split(/\s+/);
    if (words[0]?.toUpperCase() === 'XCLIENT') return new Set(words.slice(1).map((w) => w.toUpperCase()));
  }
  return null;
}

/** Postfix writes IPv6 client addresses as `IPV6:2001:db8::1`. */
export function xclientAddr(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip)) return `IPV6:${ip}`;
  throw new Error(`"${ip}" is not an IP address`);
}

/**
 * Formats the XCLIENT command line(s) (without CRLF) for `attrs`, keeping only what the server offered. Throws when
 * a required attribute (`require`) is not offered, so the caller can refuse to forward rather than let the MX see the
 * session as coming from loopback.
 */
export function formatXclient(
  attrs: XclientAttributes,
  offered: ReadonlySet<string>,
  require: readonly XclientAttribute[] = ['ADDR'],
): string[] {
  for (const name of require) {
    if (attrs[name] !== undefined && !offered.has(name)) throw new Error(`the MX does not offer XCLIENT ${name}`);
  }
  const parts: string[] = [];
  for (const name of XCLIENT_ATTRIBUTES) {
    const value = attrs[name];
    if (value === undefined || !offered.has(name)) continue;
    parts.push(`${name}=${xtextEncode(value)}`);
  }
  if (parts.length === 0) throw new Error('no XCLIENT attribute to send');
  const lines: string[] = [];
  let line = 'XCLIENT';
  for (const part of parts) {
    if (line.length + 1 + part.length > MAX_COMMAND && line !== 'XCLIENT') {
      lines.push(line);
      line = 'XCLIENT';
    }
    line += ` ${part}`;
  }
  lines.push(line);
  return lines;
}

/** Parses an XCLIENT command line (the MX side; used to test the formatter against the grammar). */
export function parseXclient(line: string): XclientAttributes {
  const words = line.trim().split(/ +/);
  if (words.shift()?.toUpperCase() !== 'XCLIENT') throw new Error('not an XCLIENT command');
  if (words.length === 0) throw new Error('XCLIENT without attributes');
  const out: XclientAttributes = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new Error(`bad XCLIENT attribute "${word}"`);
    const name = word.slice(0, eq).toUpperCase();
    if (!(XCLIENT_ATTRIBUTES as readonly string[]).includes(name)) throw new Error(`unknown XCLIENT attribute ${name}`);
    out[name as XclientAttribute] = xtextDecode(word.slice(eq + 1));
  }
  return out;
}
