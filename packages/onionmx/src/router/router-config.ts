/**
 * Configuration of the onionmx router daemon. The routing decision's settings live under `routing`
 * (the same schema every onionmx service embeds), so one file can configure router and relay alike.
 * Everything is validated once at start-up; unknown keys fail with their dotted name.
 */
import * as z from 'zod';
import { duration, hostPortSchema, loopbackHostPortSchema, metricsConfigSchema, withOlderNames } from '@peergroup/service';
import { routingConfigSchema } from '../routing/routing-config.ts';
import { parseIpv4Network } from './automap.ts';
import { replyFormNames } from './router-reply.ts';

const replyForm = z.enum(replyFormNames);

const listenerBase = {
  /** Loopback HOST:PORT; port 0 picks a free one (tests). */
  listen: loopbackHostPortSchema,
};

export const routerConfigSchema = withOlderNames(
  z
    .object({
      routing: routingConfigSchema,
      /** Postfix tcp_table(5) listener (`tcp:HOST:PORT`). */
      tcpTable: z
        .object({ ...listenerBase, reply: replyForm.default('direct') })
        .strict()
        .optional(),
      /** Postfix socketmap_table(5) listener (`socketmap:inet:HOST:PORT:NAME`). */
      socketmap: z
        .object({
          ...listenerBase,
          reply: replyForm.default('direct'),
          /** The socketmap name Postfix sends; requests for another name get PERM. */
          name: z
            .string()
            .regex(/^[^\s:]+$/, 'must be a word without spaces or colons')
            .default('onionmx'),
        })
        .strict()
        .optional(),
      /** Exim `${readsocket{inet:HOST:PORT}{$domain\n}...}` listener. */
      exim: z
        .object({ ...listenerBase, reply: replyForm.default('exim-route') })
        .strict()
        .optional(),
      /** Postfix transport (master.cf service) named in the direct form: `smtptor:[onion]:port`. */
      transport: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'must be a master.cf service name')
        .default('smtptor'),
      /** peergroup's relay, answered by the relay form. */
      relay: z
        .object({
          address: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 10024 })),
          protocol: z.enum(['lmtp', 'smtp']).default('lmtp'),
        })
        .strict()
        .prefault({}),
      /** Tor's DNSPort (AutomapHostsOnResolve on) for the exim-automap form. */
      automap: withOlderNames(
        z
          .object({
            dns: hostPortSchema.optional(),
            /** Tor's VirtualAddrNetworkIPv4: an answer outside it is refused (it would not go through Tor). */
            network: z
              .string()
              .default('127.192.0.0/10')
              .refine(
                (s) => {
                  try {
                    parseIpv4Network(s);
                    return true;
                  } catch {
                    return false;
                  }
                },
                { message: 'must be an IPv4 network a.b.c.d/len' },
              ),
            /** One A query to Tor's DNSPort (a plain number means milliseconds). */
            timeout: duration({ unit: 'ms', min: 50, max: 60_000 }).default(2000),
            retries: z.number().int().min(0).max(10).default(1),
            minTtl: z.number().int().min(0).max(86400).default(60),
            maxTtl: z.number().int().min(0).max(86400).default(600),
          })
          .strict(),
        { timeoutMs: 'timeout' },
      ).prefault({}),
      limits: withOlderNames(
        z
          .object({
            /** Open connections across all listeners; more are refused at accept. */
            maxConnections: z.number().int().min(1).max(100000).default(512),
            /** Postfix keeps tcp_table/socketmap connections open; idle ones are closed after this. */
            idleTimeout: duration({ unit: 'ms', min: 1000, max: 86_400_000 }).default(300_000),
            /** An Exim request (or a started tcp_table/socketmap request) must arrive within this. */
            requestTimeout: duration({ unit: 'ms', min: 100, max: 600_000 }).default(10_000),
            /** Upper bound for one routing decision; past it the answer is a tempfail. */
            lookupTimeout: duration({ unit: 'ms', min: 100, max: 600_000 }).default(20_000),
          })
          .strict(),
        { idleTimeoutMs: 'idleTimeout', requestTimeoutMs: 'requestTimeout', lookupTimeoutMs: 'lookupTimeout' },
      ).prefault({}),
      /** A lookup summary is logged at info level this often; 0 turns it off (per-lookup lines are at debug). */
      logSummaryInterval: duration({ unit: 'ms', max: 86_400_000 }).default(60_000),
      /** Prometheus /metrics and /healthz on a loopback HTTP port. */
      metrics: metricsConfigSchema.optional(),
    })
    .strict(),
  { logSummaryIntervalMs: 'logSummaryInterval' },
).superRefine((cfg, ctx) => {
  if (!cfg.tcpTable && !cfg.socketmap && !cfg.exim) {
    ctx.addIssue({ code: 'custom', path: ['tcpTable'], message: 'no listener configured: set at least one of tcpTable, socketmap, exim' });
  }
  for (const key of ['tcpTable', 'socketmap', 'exim'] as const) {
    if (cfg[key]?.reply === 'exim-automap' && !cfg.automap.dns) {
      ctx.addIssue({
        code: 'custom',
        path: ['automap', 'dns'],
        message: `required because ${key}.reply is exim-automap (Tor's DNSPort IP:PORT)`,
      });
    }
  }
  if (cfg.automap.minTtl > cfg.automap.maxTtl) {
    ctx.addIssue({ code: 'custom', path: ['automap', 'minTtl'], message: 'must not exceed automap.maxTtl' });
  }
});

export type RouterConfig = z.output<typeof routerConfigSchema>;
export type RouterConfigInput = z.input<typeof routerConfigSchema>;
