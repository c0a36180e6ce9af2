import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as z from 'zod';
import { duration, hostPortSchema, withOlderNames, type HostPort } from '@peergroup/service';
import { mapFetchSchema } from '../map-fetch/map-fetch-config.ts';

/** The default resolver is the system's first nameserver, as glibc would use it (port 53; 127.0.0.1 if none). */
export function systemResolvers(resolvConf = '/etc/resolv.conf'): HostPort[] {
  let text = '';
  try {
    text = readFileSync(resolvConf, 'utf8');
  } catch {
    // No resolv.conf: glibc falls back to the local host, so do we.
  }
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    // A link-local address keeps its %scope: without it the kernel cannot tell which interface to use.
    const host = m[1]!;
    if (isIP(host)) return [{ host, port: 53 }];
  }
  return [{ host: '127.0.0.1', port: 53 }];
}

/** `example.org` matches itself; `*.example.org` (or `.example.org`) matches its subdomains only. */
const domainPattern = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .refine((s) => /^(\*\.|\.)?([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(s), {
    message: 'must be a domain name, or *.domain for its subdomains',
  });

export const mapFormatSchema = z.enum(['native', 'yaml', 'postfix']);
export type MapFormat = z.infer<typeof mapFormatSchema>;

/** A resolver reached through Tor: its onion service (DNS over TCP), or a clearnet one through an exit with DNS over TLS. */
export const torResolverSchema = z
  .object({
    /** ONION:PORT (usually 53), or IP:PORT / NAME:PORT of a DNS-over-TLS resolver (usually 853). */
    address: hostPortSchema,
    /** DNS over TLS: the certificate must be valid for `name` and chain to `ca` (a PEM file; default the system's CAs). */
    tls: z
      .object({ name: z.string().min(1, 'must name the host the certificate is for'), ca: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Through an exit, plain DNS could be read and rewritten by whoever runs the exit; an onion address authenticates itself.
    if (!r.address.host.endsWith('.onion') && !r.tls) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'a resolver that is not an onion service is reached through a Tor exit: it needs tls (name, and ca unless the system CAs apply)',
      });
    }
  });

export const torResolversSchema = z
  .object({
    socks: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 9050 })),
    servers: z.array(torResolverSchema).min(1, 'needs at least one resolver'),
    /** One query, including opening the stream (circuit, rendezvous, TLS) when none is open. */
    timeout: duration({ unit: 's', min: 100, max: 120_000 }).default(15_000),
    /** Close the stream after this long without queries. */
    idleTimeout: duration({ unit: 's', min: 1000, max: 86_400_000 }).default(300_000),
  })
  .strict();

export const mapSourceSchema = z
  .object({
    path: z.string().min(1, 'must name a file'),
    /** Absent: yaml for *.yml/*.yaml, else read from the file's lines (native when they do not agree). */
    format: mapFormatSchema.optional(),
    /** Keep the file up to date from a signed copy (map-fetch/); the file may be absent until the first fetch. */
    fetch: mapFetchSchema.optional(),
  })
  .strict();

export const routingConfigSchema = z
  .object({
    /** Curated maps, consulted in order; a domain mapped twice keeps its first entry. */
    maps: z.array(mapSourceSchema).default([]),
    /** Refuse to start (and to reload) when a map has an invalid entry, instead of skipping it. */
    strictMaps: z.boolean().default(false),
    /** Reload maps when a file changes on disk (SIGHUP always reloads). */
    watchMaps: z.boolean().default(true),
    /** Look up `_onion-mx._tcp.<domain>` SRV for domains not in a map. */
    srv: z.boolean().default(true),
    resolver: withOlderNames(
      z
        .object({
          servers: z
            .array(hostPortSchema)
            .min(1, 'needs at least one IP:PORT')
            .default(() => systemResolvers()),
          /** Per try and server (a plain number means milliseconds; older name timeoutMs). */
          timeout: duration({ unit: 'ms', min: 50, max: 60_000 }).default(2000),
          retries: z.number().int().min(0).max(10).default(1),
          tcpFallback: z.boolean().default(true),
          /** udp: `servers` as usual. tor: every routing query goes through Tor to `tor.servers`, none in cleartext. */
          transport: z.enum(['udp', 'tor']).default('udp'),
          tor: torResolversSchema.optional(),
          /** With transport udp: these domains (or *.domain) are looked up only through Tor all the same. */
          torDomains: z.array(domainPattern).default([]),
        })
        .strict(),
      { timeoutMs: 'timeout' },
    )
      .superRefine((r, ctx) => {
        if (r.tor) return;
        if (r.transport === 'tor')
          ctx.addIssue({
            code: 'custom',
            path: ['tor'],
            message: 'transport is tor (no cleartext DNS) but no Tor resolver is configured: set resolver.tor.servers',
          });
        else if (r.torDomains.length > 0)
          ctx.addIssue({
            code: 'custom',
            path: ['tor'],
            message: 'torDomains are looked up through Tor only, but no Tor resolver is configured: set resolver.tor.servers',
          });
      })
      .prefault({}),
    /** require: accept an SRV answer only with the AD bit from the (validating, trusted) resolver. */
    dnssec: z.enum(['off', 'prefer', 'require']).default('prefer'),
    cache: z
      .object({
        minTtl: z.number().int().min(0).max(604800).default(60),
        maxTtl: z.number().int().min(0).max(604800).default(86400),
        /** Negative answers without an SOA (or with a bogus one) are cached this long. */
        negativeTtl: z.number().int().min(0).max(604800).default(300),
        maxEntries: z.number().int().min(1).max(10_000_000).default(10000),
      })
      .strict()
      .refine((c) => c.minTtl <= c.maxTtl, { message: 'minTtl must not exceed maxTtl', path: ['minTtl'] })
      .prefault({}),
    /** Our own mail domains: never routed over onion by us (we receive them). */
    ownDomains: z.array(domainPattern).default([]),
    /** Domains never routed over onion (e.g. a peer known to be broken). */
    ignore: z.array(domainPattern).default([]),
    /** Also look up SRV for map hits and warn when the published record disagrees with the map. */
    srvCheck: z.boolean().default(false),
  })
  .strict();

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingConfigInput = z.input<typeof routingConfigSchema>;

/** Defaults for everything; handy in tests and library use. */
export function routingConfig(input: RoutingConfigInput = {}): RoutingConfig {
  return routingConfigSchema.parse(input);
}
