/**
 * Configuration of `peergroup onionmx inbound`, the SMTP front of our own onion service. Validated once at start-up;
 * unknown keys fail with their dotted name. The config-file section is `inbound`.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { duration, formatDuration, hostPortSchema, metricsConfigSchema } from '@peergroup/service';

const domainName = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(s), {
    message: 'must be a domain name in ASCII (IDNs as xn-- A-labels), without a trailing dot',
  });

const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IPv4 or IPv6 address' });

/** A duration key between `min` and `max` seconds; a plain number is seconds (the keys' unit before durations). Milliseconds once parsed. */
const timeLimit = (min: number, max: number, dflt: number) =>
  duration({ unit: 's', min: min * 1000, max: max * 1000 }).prefault(formatDuration(dflt * 1000));
const probeCacheDuration = () => duration({ unit: 's', min: 0, max: 86_400_000 });

export const inboundConfigSchema = z
  .object({
    /** Where Tor's `HiddenServicePort 25 <addr>:<port>` points. May be a non-loopback address when tor runs elsewhere. */
    listen: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 2525 })),
    /** The internal MX every transaction is forwarded to. */
    mx: hostPortSchema,
    /** Name in our banner and EHLO reply, and our EHLO name towards the MX before XCLIENT. */
    hostname: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
      .default('localhost'),
    /** The provider's own domains: RCPT is accepted for these only (exact match, case-insensitive). */
    domains: z.array(domainName).default([]),
    /** `domains`: the list above decides. `probe`: also accept a recipient the MX accepts in a probe session (MAIL FROM:<> RCPT). */
    recipientCheck: z.enum(['domains', 'probe']).default('domains'),
    /** How long a probe result (accept or 5xx) is cached, a duration (default 5m); 4xx results are never cached. */
    probeCache: probeCacheDuration().optional(),
    /** Older name of `probeCache`; a plain number is seconds. */
    probeCacheSeconds: probeCacheDuration().optional(),
    /** The client's DSN parameters: `failure-only` drops NOTIFY=SUCCESS/DELAY and sends RET=FULL as RET=HDRS (mail-params.ts). */
    dsn: z.enum(['strip', 'failure-only', 'pass']).default('failure-only'),
    forward: z
      .object({
        /** How the MX learns the pseudo client: Postfix XCLIENT, PROXY protocol v1/v2, or nothing (MX on another host). */
        mode: z.enum(['xclient', 'proxy-v1', 'proxy-v2', 'none']).default('xclient'),
        /** XCLIENT NAME the MX sees (its Received header shows it). */
        clientName: z
          .string()
          .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
          .default('onion'),
        /** Client address the MX sees (XCLIENT ADDR / PROXY source); a documentation address by default. */
        clientAddress: ipAddress.default('192.0.2.1'),
        /** PROXY destination address (same family as clientAddress); default the loopback address of that family. */
        destinationAddress: ipAddress.optional(),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        /** Bytes; advertised with SIZE and enforced while streaming. */
        messageSize: z
          .number()
          .int()
          .min(1024)
          .max(2 ** 31)
          .default(25 * 1024 * 1024),
        recipients: z.number().int().min(1).max(10000).default(100),
        /** Concurrent Tor-side sessions; more get 421. */
        sessions: z.number().int().min(1).max(100000).default(100),
        /** Longest message line in bytes, CRLF included; a longer one fails the message with 554. */
        lineLength: z
          .number()
          .int()
          .min(1000)
          .max(1024 * 1024)
          .default(16384),
        /** Longest command line in bytes. */
        commandLength: z.number().int().min(512).max(65536).default(2048),
      })
      .strict()
      .prefault({}),
    /** Tor-side slow-client protection (durations; a plain number is seconds). */
    timeouts: z
      .object({
        /** Idle time allowed between client commands (and between data chunks). */
        command: timeLimit(1, 3600, 120),
        /** Total time allowed to transfer one message's data. */
        data: timeLimit(1, 7200, 600),
        /** Total length of one session, whatever it does. */
        session: timeLimit(1, 86400, 1800),
      })
      .strict()
      .prefault({}),
    /** Towards the MX (durations; a plain number is seconds); RFC 5321 §4.5.3.2 defaults. */
    mxTimeouts: z
      .object({
        connect: timeLimit(1, 600, 30),
        greeting: timeLimit(1, 600, 300),
        command: timeLimit(1, 600, 300),
        dataInit: timeLimit(1, 600, 120),
        dataBlock: timeLimit(1, 600, 180),
        dataTerm: timeLimit(1, 1800, 600),
      })
      .strict()
      .prefault({}),
    /** Prometheus /metrics and /healthz (loopback): `metrics: { listen: HOST:PORT }` (or the address alone). */
    metrics: metricsConfigSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.recipientCheck === 'domains' && c.domains.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['domains'], message: 'at least one domain is needed with recipientCheck "domains"' });
    }
    const f = c.forward;
    if (f.destinationAddress && isIP(f.destinationAddress) !== isIP(f.clientAddress)) {
      ctx.addIssue({
        code: 'custom',
        path: ['forward', 'destinationAddress'],
        message: 'must be of the same address family as forward.clientAddress',
      });
    }
    if (c.recipientCheck === 'probe' && f.mode === 'none') {
      // The probe would ask the MX as the front itself, which the MX may trust to relay: an open relay by proxy.
      ctx.addIssue({
        code: 'custom',
        path: ['recipientCheck'],
        message: 'probe needs forward.mode xclient or proxy-v1/v2 (the MX must judge the pseudo client)',
      });
    }
    if (/^(127\.|::1$|::ffff:127\.)/.test(f.clientAddress) && f.mode !== 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['forward', 'clientAddress'],
        message: 'a loopback pseudo client would look trusted to the MX',
      });
    }
    if (c.probeCache !== undefined && c.probeCacheSeconds !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['probeCacheSeconds'], message: 'is the older name of probeCache: set only one of them' });
    }
  })
  .transform(({ probeCacheSeconds, ...c }) => ({ ...c, probeCache: c.probeCache ?? probeCacheSeconds ?? 300_000 }));

export type InboundConfig = z.output<typeof inboundConfigSchema>;
