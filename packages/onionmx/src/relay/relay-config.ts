/**
 * Configuration of the onionmx relay. Routing settings live under `routing` (the schema every onionmx service
 * embeds), so one file can configure router and relay alike. Validated once at start-up; unknown keys fail.
 */
import * as z from 'zod';
import { duration, hostPortSchema, loopbackHostPortSchema, metricsConfigSchema } from '@peergroup/service';
import { routingConfigSchema } from '../routing/routing-config.ts';

const hostName = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * The EHLO name when none is configured: our first own mail domain, else `localhost`. The mail domain is in every
 * message already (MAIL FROM, From:, the MTA's own Received: line), so the far MX learns nothing new and its
 * Received: header names the sender's provider rather than "localhost". Never os.hostname(): behind an onion, the
 * machine's name (often the hoster's `vps1234.provider.example`) can locate the server the onion hides.
 */
export function defaultHeloName(ownDomains: readonly string[]): string {
  return ownDomains.find((d) => !d.startsWith('*.') && !d.startsWith('.') && d.includes('.') && hostName.test(d)) ?? 'localhost';
}

/** A phase time limit: `5m`, `30s`, or a plain number of seconds (the keys' unit before durations); milliseconds once parsed. */
const phase = (dflt: string) => duration({ unit: 's', min: 1, max: 86_400_000 }).prefault(dflt);

export const relayConfigSchema = z
  .object({
    /** LMTP listener (Postfix `lmtp:inet:HOST:PORT`): one reply per recipient after DATA. */
    lmtp: loopbackHostPortSchema.optional(),
    /** SMTP listener: one destination per transaction, other recipients get 452 and come again. */
    smtp: loopbackHostPortSchema.optional(),
    /** Tor's SocksPort (with ExtendedErrors for precise reasons; IsolateSOCKSAuth is Tor's default). */
    socks: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 9050 })),
    /** Name sent in EHLO to onion MXs; absent: defaultHeloName(routing.ownDomains). */
    heloName: z.string().regex(hostName, 'must be a host name').optional(),
    /** STARTTLS to the far side: opportunistic (use when offered), required (defer otherwise), none. */
    tls: z.enum(['opportunistic', 'required', 'none']).default('opportunistic'),
    limits: z
      .object({
        /** Simultaneous MTA connections; more are refused with 421. */
        maxConnections: z.number().int().min(1).max(100000).default(100),
        /**
         * Simultaneous connections to one onion host (its target list); a transaction over the limit waits up to
         * `destinationWait` for one of them to finish (then reuses it), else gets 451 4.4.5 and the MTA retries.
         */
        maxPerDestination: z.number().int().min(1).max(10000).default(10),
        /** How long a transaction waits for a connection to a destination at `maxPerDestination`; 0: answer 451 at once. */
        destinationWait: duration({ unit: 's', min: 0, max: 3_600_000 }).prefault('1m'),
        /** Largest message accepted (bytes), advertised as SIZE. */
        maxMessageSize: z
          .number()
          .int()
          .min(1024)
          .default(50 * 1024 * 1024),
        /** Recipients per transaction; more get 452. */
        maxRecipients: z.number().int().min(1).max(100000).default(1000),
      })
      .strict()
      .prefault({}),
    /** Per phase of the outbound SMTP dialogue (durations); RFC 5321 §4.5.3.2 values by default. */
    timeouts: z
      .object({
        connect: phase('2m'),
        greeting: phase('5m'),
        ehlo: phase('5m'),
        mail: phase('5m'),
        rcpt: phase('5m'),
        dataInit: phase('2m'),
        dataBlock: phase('3m'),
        dataEnd: phase('10m'),
      })
      .strict()
      .prefault({}),
    /**
     * How long an idle connection to an onion MX is kept for the next transaction to it (same recipient domain,
     * so the same Tor circuit isolation); 0 closes every connection after its transaction. A duration; a plain
     * number is seconds.
     */
    connectionReuse: duration({ unit: 's', min: 0, max: 3_600_000 }).prefault('30s'),
    /** Bounds on one reused connection (and so on one Tor circuit's life for a domain): then it is closed. */
    reuse: z
      .object({
        /** Transactions over one connection. */
        maxMessages: z.number().int().min(1).max(1_000_000).default(1000),
        /** Age of a connection after which it takes no new transaction. */
        maxAge: duration({ unit: 's', min: 1000, max: 86_400_000 }).prefault('10m'),
      })
      .strict()
      .prefault({}),
    /** Prometheus /metrics and /healthz (loopback HTTP): `metrics: { listen: HOST:PORT }` (or the address alone). */
    metrics: metricsConfigSchema.optional(),
    routing: routingConfigSchema.prefault({}),
  })
  .strict()
  .refine((c) => c.lmtp !== undefined || c.smtp !== undefined, {
    message: 'needs at least one listener (lmtp or smtp)',
    path: ['lmtp'],
  })
  .transform((c) => ({ ...c, heloName: c.heloName ?? defaultHeloName(c.routing.ownDomains) }));

export type RelayConfig = z.output<typeof relayConfigSchema>;
export type RelayConfigInput = z.input<typeof relayConfigSchema>;
