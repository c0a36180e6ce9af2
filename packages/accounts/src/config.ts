import * as z from 'zod';
import { duration, hostPortSchema, loopbackHostPortSchema, withOlderNames } from '@peergroup/service';
import { mailboxesConfigSchema } from './mail/config.ts';
import { isTimeZone } from './i18n/time-zones.ts';

const positiveInt = z.number().int().positive();

const DAY = 86_400_000;

/** Where people reach these pages: https, or plain http on an onion service (Tor encrypts and authenticates it). */
const publicUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname.endsWith('.onion'));
  } catch {
    return false;
  }
}, 'must be an https:// address, or http:// on a .onion host (e.g. https://accounts.example.org)');
/** A duration key of the accounts service; a plain number is seconds, the unit of its older `*Seconds` name. */
const seconds = (min: number, max = 10 * 365 * DAY) => duration({ unit: 's', min, max });

const windowLimit = (perBrowser: number, perAccount: number, perClient: number, windowMs: number) =>
  withOlderNames(
    z
      .object({
        /**
         * Failures per browser (its pre-login cookie) and account name, or per logged-in user; past it that browser
         * waits window / limit, doubling per further failure up to the window.
         */
        perBrowser: positiveInt.default(perBrowser),
        /**
         * Failures per account name from anyone (existing or not: the limit must not reveal which names exist); past
         * it attempts on that name are spaced window / limit apart, never refused for longer. Keep it above perBrowser.
         */
        perAccount: positiveInt.default(perAccount),
        /** Failures per client address, spaced like perAccount; not applied to loopback peers (Tor, a local proxy). */
        perClient: positiveInt.default(perClient),
        window: seconds(1000).default(windowMs),
      })
      .strict(),
    { windowSeconds: 'window' },
  ).prefault({});

/** Everything the accounts service reads; strict so a misspelt key fails at start-up naming the key. */
export const accountsConfigSchema = withOlderNames(
  z
    .object({
      listen: hostPortSchema.prefault('127.0.0.1:8080'),
      /** Holds the SQLite file, the generated server secret and the mail outbox unless configured elsewhere. */
      dataDir: z.string().min(1).default('./data'),
      /** postgres://… switches from the embedded SQLite file to PostgreSQL (same migrations). */
      databaseUrl: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
      /** The trust library's server secret (keyed tags, public-key bindings). Generated with mode 600 on first start. Default <dataDir>/server-secret. */
      secretFile: z.string().min(1).optional(),
      /** 'auto': Secure cookies when the request arrived over TLS or for a .onion host; 'always'/'never' force it. */
      secureCookies: z.enum(['auto', 'always', 'never']).default('auto'),
      /** Believe X-Forwarded-For / X-Forwarded-Proto (only behind a reverse proxy you run). */
      trustProxy: z.boolean().default(false),
      sessionTtl: seconds(1000).default(12 * 3_600_000),
      /** Shown in page titles and mail. */
      siteName: z.string().min(1).default('peergroup accounts'),
      /**
       * The address of these pages (or a list: onion and https), linked from every notification mail. Unset: the
       * mails name the site but link nowhere.
       */
      publicUrl: z
        .union([publicUrl, z.array(publicUrl).min(1)])
        .optional()
        .transform((v) => (v === undefined ? [] : typeof v === 'string' ? [v] : v)),
      /** IANA time zone for pages and mail of people who chose none (e.g. Europe/Zurich). Default: the server's zone. */
      timeZone: z
        .string()
        .refine((v) => isTimeZone(v), 'must be an IANA time zone such as Europe/Zurich')
        .optional(),
      mail: withOlderNames(
        z
          .object({
            /** 'outbox' writes .eml files (no MTA needed); 'smtp' submits to a mail server. */
            mode: z.enum(['outbox', 'smtp']).default('outbox'),
            /** Default <dataDir>/outbox. In smtp mode its spool/ holds messages whose submission failed. */
            outboxDir: z.string().min(1).optional(),
            /** smtp mode: how often failed submissions are retried (they are never dropped). */
            retryInterval: seconds(1000, DAY).default(60_000),
            from: z.string().min(3).default('accounts@localhost'),
            /** Notifications go to <username>@<domain>. */
            domain: z.string().min(1).default('localhost'),
            smtp: z
              .object({
                host: z.string().min(1).default('127.0.0.1'),
                port: z.number().int().min(1).max(65535).default(587),
                /** Implicit TLS (port 465). Otherwise STARTTLS is required unless requireTls is false. */
                secure: z.boolean().default(false),
                requireTls: z.boolean().default(true),
                user: z.string().optional(),
                /** File holding the SMTP password (kept out of the config file). */
                passwordFile: z.string().optional(),
              })
              .strict()
              .prefault({}),
          })
          .strict(),
        { retrySeconds: 'retryInterval' },
      ).prefault({}),
      rateLimits: z
        .object({
          login: windowLimit(5, 10, 50, 900_000),
          signup: windowLimit(3, 5, 20, 3_600_000),
          /** "Help someone reset" and "I forgot my password" attempts. */
          reset: windowLimit(3, 5, 20, 3_600_000),
        })
        .strict()
        .prefault({}),
      trust: withOlderNames(
        z
          .object({
            /** Padded trust slots per user (N). */
            slots: z.number().int().min(1).max(64).default(8),
            /** Operator minimum for the waiting period between the k-th confirmation and the reset code. */
            minWait: seconds(0).default(DAY),
            /** Waiting period for new accounts (raised to minWait if lower). */
            defaultWait: seconds(0).default(3 * DAY),
            inviteQuota: z.number().int().min(0).default(5),
            inviteTtl: seconds(1000).default(14 * DAY),
            resetCodeTtl: seconds(1000).default(DAY),
            /** After the owner vetoes a reset, new requests for that account are ignored this long. */
            vetoHold: seconds(0).default(7 * DAY),
            pwhash: z
              .object({
                /** Argon2id passes; libsodium INTERACTIVE is 2. */
                opslimit: z.number().int().min(1).default(2),
                /** Argon2id memory in bytes; libsodium INTERACTIVE is 64 MiB. */
                memlimit: z
                  .number()
                  .int()
                  .min(8192)
                  .default(64 * 1024 * 1024),
              })
              .strict()
              .prefault({}),
            /** Argon2id computations at once (logins, password checks); default: CPU cores − 1, at least 1. */
            pwhashConcurrency: z.number().int().min(1).max(256).optional(),
            /**
             * Whether a trust database still at format 1 gets its user tags at start (logged as format-upgraded). Set it to
             * false once upgraded, so a writer who reverts the database to format 1 cannot have its rows tagged.
             */
            allowFormatUpgrade: z.boolean().default(true),
          })
          .strict(),
        {
          minWaitSeconds: 'minWait',
          defaultWaitSeconds: 'defaultWait',
          inviteTtlSeconds: 'inviteTtl',
          resetCodeTtlSeconds: 'resetCodeTtl',
          vetoHoldSeconds: 'vetoHold',
        },
      ).prefault({}),
      /** Mail accounts for Dovecot and Postfix (docs/dovecot.md); absent: the service manages web accounts only. */
      mailboxes: mailboxesConfigSchema.optional(),
      /** Separate loopback listener for /metrics and /healthz; unset when `peergroup serve` runs one for all services. */
      metrics: z
        .preprocess((v) => (typeof v === 'string' ? { listen: v } : v), z.object({ listen: loopbackHostPortSchema.optional() }).strict())
        .prefault({}),
    })
    .strict(),
  { sessionTtlSeconds: 'sessionTtl' },
);

let serverZone: string | undefined;
/**
 * `timeZone`, else the server's zone. Asked when a page or mail first needs it, not while the config is parsed: the
 * first Intl date format maps ICU's time-zone and calendar data, about 8 MB of an idle daemon's RSS (bench/footprint).
 */
export function defaultTimeZone(config: Pick<AccountsConfig, 'timeZone'>): string {
  if (config.timeZone) return config.timeZone;
  serverZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
  return serverZone;
}

/** Seconds of a duration, for the APIs counting in seconds (the trust store, cookie Max-Age, the settings form). */
export const wholeSeconds = (ms: number): number => Math.ceil(ms / 1000);

export type AccountsConfig = z.output<typeof accountsConfigSchema>;
export type AccountsConfigInput = z.input<typeof accountsConfigSchema>;
