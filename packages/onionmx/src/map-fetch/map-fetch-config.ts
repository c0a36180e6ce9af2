import * as z from 'zod';
import { duration, hostPortSchema } from '@peergroup/service';
import { parsePublicKey } from './minisign.ts';

/** `maps[].fetch`: where a signed map comes from and what makes it acceptable (map-fetch.ts). */
const share = z.union([
  z.number().min(0).max(1),
  z
    .string()
    .regex(/^\d{1,3}(\.\d+)?%$/, 'must be a share such as 20% or 0.2')
    .transform((s) => Number(s.slice(0, -1)) / 100)
    .refine((n) => n <= 1, 'must be at most 100%'),
]);

export const mapFetchSchema = z
  .object({
    /** http://ONION/… (over Tor), or https://… (over Tor unless viaTor is false). */
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// (onion) or https:// URL' }),
    /** Default: url + ".minisig". */
    signatureUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// (onion) or https:// URL' }).optional(),
    /** The minisign public key (the base64 line of the .pub file, RWQ…). */
    publicKey: z.string().refine(
      (k) => {
        try {
          parsePublicKey(k);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be a minisign public key (the base64 line RWQ… of minisign.pub)' },
    ),
    /** Fetch again after this long; absent: only `peergroup onionmx map fetch` fetches. */
    interval: duration({ unit: 's', min: 60_000, max: 30 * 86_400_000 }).optional(),
    /** Refuse a map that would remove more than this share of the current entries. */
    maxDrop: share.default(0.2),
    /** Refuse a response larger than this many bytes (map and signature alike). */
    maxSize: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(16 * 1024 * 1024),
    timeout: duration({ unit: 's', min: 1000, max: 3_600_000 }).default(120_000),
    /** Fetch through Tor's SOCKS port (always for .onion): the map host does not learn who fetches, nor does DNS. */
    viaTor: z.boolean().default(true),
    socks: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 9050 })),
  })
  .strict()
  .superRefine((f, ctx) => {
    for (const key of ['url', 'signatureUrl'] as const) {
      const u = f[key] ? new URL(f[key]) : undefined;
      if (!u) continue;
      const onion = u.hostname.endsWith('.onion');
      if (onion && !f.viaTor) ctx.addIssue({ code: 'custom', path: ['viaTor'], message: 'an .onion URL can only be fetched through Tor' });
      // Plain http is tolerable only to an onion, whose address authenticates the server; the signature is checked either way.
      if (!onion && u.protocol === 'http:')
        ctx.addIssue({ code: 'custom', path: [key], message: 'http:// is only allowed for .onion hosts; use https://' });
    }
  });

export type MapFetchConfig = z.output<typeof mapFetchSchema>;
export type MapFetchInput = z.input<typeof mapFetchSchema>;
