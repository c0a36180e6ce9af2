import { isIP } from 'node:net';
import * as z from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `127.0.0.1:25`, `[::1]:25` or `localhost:25`. Port 0 asks the OS for a free port (tests). */
export function parseHostPort(text: string, what = 'address'): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`${what} "${text}" is not HOST:PORT`);
  const host = m[1]!;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what} "${text}" has a bad port`);
  if (host.includes(':') && isIP(host) !== 6) throw new Error(`${what} "${text}" has a bad IPv6 address`);
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** zod schema for a HOST:PORT string, parsed into {host, port}. */
export const hostPortSchema = z.string().transform((text, ctx) => {
  try {
    return parseHostPort(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Loopback-only listener: peergroup's MTA-facing services must never be reachable from the network by accident. */
export const loopbackHostPortSchema = hostPortSchema.refine(
  (hp) => hp.host === 'localhost' || hp.host === '::1' || /^127\./.test(hp.host),
  { message: 'must be a loopback address (127.0.0.0/8, ::1 or localhost)' },
);
