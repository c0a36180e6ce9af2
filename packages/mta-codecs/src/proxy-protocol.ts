/**
 * HAProxy PROXY protocol v1 (text) and v2 (binary) headers
 * (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
 *
 * The inbound front writes one header at the start of each connection to the internal MX so Postfix
 * (`smtpd_upstream_proxy_protocol = haproxy`) or Exim (`hosts_proxy`) see the configured pseudo client address instead
 * of the loopback address of the Tor daemon.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from './ip-address.ts';

export interface ProxyAddresses {
  family: 'TCP4' | 'TCP6';
  sourceAddress: string;
  destinationAddress: string;
  sourcePort: number;
  destinationPort: number;
}

/** A decoded header: `local` (v2 LOCAL / v1 UNKNOWN) carries no addresses. */
export type ProxyHeader = { version: 1 | 2; command: 'proxy'; addresses: ProxyAddresses } | { version: 1 | 2; command: 'local' };

export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;

function checkAddresses(a: ProxyAddresses): void {
  const isFamily = a.family === 'TCP4' ? isIPv4 : isIPv6;
  if (!isFamily(a.sourceAddress)) throw new Error(`PROXY ${a.family}: bad source address "${a.sourceAddress}"`);
  if (!isFamily(a.destinationAddress)) throw new Error(`PROXY ${a.family}: bad destination address "${a.destinationAddress}"`);
  for (const port of [a.sourcePort, a.destinationPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PROXY: bad port ${port}`);
  }
}

/** Chooses TCP4 or TCP6 from the source address (both addresses must be of the same family). */
export function proxyAddresses(source: string, sourcePort: number, destination: string, destinationPort: number): ProxyAddresses {
  const family = isIPv4(source) ? 'TCP4' : 'TCP6';
  const a = { family, sourceAddress: source, destinationAddress: destination, sourcePort, destinationPort } as const;
  checkAddresses(a);
  return a;
}

export function encodeProxyV1(a: ProxyAddresses | null): Buffer {
  if (a === null) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  checkAddresses(a);
  return Buffer.from(`PROXY ${a.family} ${a.sourceAddress} ${a.destinationAddress} ${a.sourcePort} ${a.destinationPort}\r\n`, 'latin1');
}

function formatIpv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as Node and most MTAs print them.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

export function encodeProxyV2(a: ProxyAddresses | null): Buffer {
  if (a === null) {
    const local = Buffer.alloc(16);
    PROXY_V2_SIGNATURE.copy(local);
    local[12] = 0x20; // version 2, LOCAL
    local[13] = 0x00; // UNSPEC
    local.writeUInt16BE(0, 14);
    return local;
  }
  checkAddresses(a);
  const v4 = a.family === 'TCP4';
  const addrLen = v4 ? 12 : 36;
  const out = Buffer.alloc(16 + addrLen);
  PROXY_V2_SIGNATURE.copy(out);
  out[12] = 0x21; // version 2, PROXY
  out[13] = v4 ? 0x11 : 0x21; // AF_INET / AF_INET6, STREAM
  out.writeUInt16BE(addrLen, 14);
  const src = v4 ? ipv4Bytes(a.sourceAddress) : ipv6Bytes(a.sourceAddress);
  const dst = v4 ? ipv4Bytes(a.destinationAddress) : ipv6Bytes(a.destinationAddress);
  src.copy(out, 16);
  dst.copy(out, 16 + src.length);
  out.writeUInt16BE(a.sourcePort, 16 + 2 * src.length);
  out.writeUInt16BE(a.destinationPort, 18 + 2 * src.length);
  return out;
}

export type ProxyDecode =
  | { status: 'complete'; header: ProxyHeader; length: number }
  | { status: 'incomplete' }
  | { status: 'invalid'; reason: string };

/** Decodes a header at the start of `buf` (v1 or v2). `length` is the number of bytes the header occupies. */
export function decodeProxyHeader(buf: Buffer): ProxyDecode {
  const sigLen = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  if (sigLen > 0 && buf.subarray(0, sigLen).equals(PROXY_V2_SIGNATURE.subarray(0, sigLen))) {
    if (buf.length < 16) return { status: 'incomplete' };
    return decodeV2(buf);
  }
  const prefix = 'PROXY ';
  const n = Math.min(buf.length, prefix.length);
  if (buf.subarray(0, n).toString('latin1') !== prefix.slice(0, n)) return { status: 'invalid', reason: 'no PROXY signature' };
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0)
    return buf.length >= V1_MAX ? { status: 'invalid', reason: 'PROXY v1 line longer than 107 bytes' } : { status: 'incomplete' };
  if (end + 2 > V1_MAX) return { status: 'invalid', reason: 'PROXY v1 line longer than 107 bytes' };
  const words = buf.subarray(0, end).toString('latin1').split(' ');
  if (words[1] === 'UNKNOWN') return { status: 'complete', header: { version: 1, command: 'local' }, length: end + 2 };
  if (words.length !== 6 || (words[1] !== 'TCP4' && words[1] !== 'TCP6')) return { status: 'invalid', reason: 'malformed PROXY v1 line' };
  const ports = [words[4]!, words[5]!];
  if (!ports.every((p) => /^(0|[1-9][0-9]{0,4})$/.test(p))) return { status: 'invalid', reason: 'bad PROXY v1 port' };
  const addresses: ProxyAddresses = {
    family: words[1],
    sourceAddress: words[2]!,
    destinationAddress: words[3]!,
    sourcePort: Number(ports[0]),
    destinationPort: Number(ports[1]),
  };
  try {
    checkAddresses(addresses);
  } catch (err) {
    return { status: 'invalid', reason: (err as Error).message };
  }
  return { status: 'complete', header: { version: 1, command: 'proxy', addresses }, length: end + 2 };
}

/** v2 address families we decode (TCP over IPv4 / IPv6), keyed by the family/protocol byte. */
const V2_FAMILIES = new Map<number, { family: ProxyAddresses['family']; addressBytes: number; format: (bytes: Buffer) => string }>([
  [0x11, { family: 'TCP4', addressBytes: 4, format: (bytes) => [...bytes].join('.') }],
  [0x21, { family: 'TCP6', addressBytes: 16, format: formatIpv6 }],
]);

function decodeV2(buf: Buffer): ProxyDecode {
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return { status: 'invalid', reason: `unsupported PROXY v2 version ${verCmd >> 4}` };
  const command = verCmd & 0x0f;
  const len = buf.readUInt16BE(14);
  if (buf.length < 16 + len) return { status: 'incomplete' };
  const total = 16 + len;
  if (command === 0) return { status: 'complete', header: { version: 2, command: 'local' }, length: total };
  if (command !== 1) return { status: 'invalid', reason: `unknown PROXY v2 command ${command}` };
  const fam = buf[13]!;
  const af = V2_FAMILIES.get(fam);
  // The address block may be longer than the family needs (TLVs follow it); shorter is malformed.
  if (af && len >= 2 * af.addressBytes + 4) {
    const b = buf.subarray(16);
    const n = af.addressBytes;
    return {
      status: 'complete',
      length: total,
      header: {
        version: 2,
        command: 'proxy',
        addresses: {
          family: af.family,
          sourceAddress: af.format(b.subarray(0, n)),
          destinationAddress: af.format(b.subarray(n, 2 * n)),
          sourcePort: b.readUInt16BE(2 * n),
          destinationPort: b.readUInt16BE(2 * n + 2),
        },
      },
    };
  }
  return { status: 'invalid', reason: `unsupported PROXY v2 address family 0x${fam.toString(16)} (length ${len})` };
}
