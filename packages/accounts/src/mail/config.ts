// The `accounts.mailboxes` section: the account is the mailbox. Dovecot authenticates through the dict server
// (dict-server.ts), Postfix looks up domains, mailboxes, aliases and sender logins through the socketmap server
// (socketmap-server.ts). Hooked into accountsConfigSchema as one optional key.
import * as z from 'zod';
import { duration, parseHostPort, loopbackHostPortSchema, type HostPort } from '@peergroup/service';

/** Sizes as `512M`, `2G`, `1T` or a plain number of bytes. */
export const byteSize = z.union([z.number().int().min(0), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = /^(\d+)\s*([kKmMgGtT]?)i?B?$/.exec(value.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `must be a size such as 500M, 2G or a number of bytes, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * mult;
});

const octalMode = z
  .string()
  .regex(/^0?[0-7]{3}$/, 'must be an octal mode such as 0660')
  .default('0660');

/** An absolute path: a UNIX socket (kept as the path); anything else: HOST:PORT. */
const socketAddress = z.string().transform((text, ctx): HostPort | string => {
  if (text.startsWith('/')) return text;
  try {
    return parseHostPort(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (or an absolute path for a UNIX socket)` });
    return z.NEVER;
  }
});

const clientEndpoint = (port: number, security: 'starttls' | 'tls') =>
  z
    .object({
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535).default(port),
      security: z.enum(['starttls', 'tls', 'none']).default(security),
    })
    .strict()
    .prefault({});

/** Local parts nobody may take as an alias (RFC 2142 role addresses and the usual system names). */
export const DEFAULT_RESERVED = [
  'postmaster',
  'abuse',
  'root',
  'hostmaster',
  'webmaster',
  'admin',
  'administrator',
  'mailer-daemon',
  'noc',
  'security',
  'support',
  'info',
  'noreply',
  'no-reply',
  'www',
  'uucp',
  'ftp',
  'news',
  'usenet',
  'daemon',
  'nobody',
  'dovecot',
  'postfix',
];

export const mailboxesConfigSchema = z
  .object({
    /** The domain every account's mailbox lives in (`<username>@<domain>`). Other domains (aliases, catch-alls) are added with `peergroup accounts admin domain add`. */
    domain: z
      .string()
      .min(1)
      .regex(/^[a-z0-9.-]+$/, 'must be a lower-case domain name'),
    /** Argon2id cost of the mail verifier Dovecot logins are checked against (default about 1/10 of the web login's 2 × 64 MiB). */
    verifier: z
      .object({
        opslimit: z.number().int().min(1).default(2),
        memlimit: z
          .number()
          .int()
          .min(8192)
          .default(6 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /**
     * Mailbox encryption with Dovecot's mail_crypt (docs/mail-crypt.md): `off`; `new` — every account that gets its
     * mailbox from now on (sign-up, admin create, the first web login of an account older than mail); `all` — also
     * every existing account, at its next web login or password change (its key needs the account's password).
     * Setting it back never decrypts anything: encrypted accounts stay encrypted.
     */
    encryption: z.enum(['off', 'new', 'all']).default('off'),
    /** Mailbox quota for accounts without an operator override (`peergroup accounts admin mail-quota`). 0 = unlimited. */
    quota: byteSize.default(1024 ** 3),
    /** Postfix recipient_delimiter: `user+tag@` is delivered to `user@`. Empty: none. */
    recipientDelimiter: z.string().max(1).default('+'),
    appPasswords: z
      .object({ max: z.number().int().min(0).max(100).default(10) })
      .strict()
      .prefault({}),
    aliases: z
      .object({
        /** Aliases a user chooses the name of. */
        custom: z.number().int().min(0).max(1000).default(5),
        /** Random aliases (with a note), e.g. one per shop. */
        random: z.number().int().min(0).max(1000).default(50),
        /** A deleted alias cannot be taken by another account for this long (mail meant for the old owner). */
        coolDown: duration({ unit: 'd', min: 0, max: 10 * 365 * 86_400_000 }).prefault('180d'),
        reserved: z.array(z.string().min(1)).default(DEFAULT_RESERVED),
      })
      .strict()
      .prefault({}),
    /** Waiting period between a user asking to delete their account and the deletion (cancellable meanwhile). */
    deletionWait: duration({ unit: 'd', min: 0, max: 365 * 86_400_000 }).prefault('7d'),
    /** Every lookup answers within this bound; a slower database gets a temporary failure, never a "not found". */
    lookupTimeout: duration({ unit: 'ms', min: 100, max: 60_000 }).prefault('5s'),
    dovecot: z
      .object({
        /** UNIX socket Dovecot's userdb `uri = proxy:<socket>:peergroup` points to. */
        dictSocket: z.string().min(1),
        /**
         * Where Dovecot's Lua passdb (docs/snippets/dovecot-peergroup-auth.lua) posts a login's password: loopback
         * HTTP, each request carrying the secret of `secretFile`. The password never travels in a dict key, which
         * Dovecot logs whenever a lookup fails.
         */
        passdb: z
          .object({
            listen: loopbackHostPortSchema,
            /** A file with a random secret of at least 32 characters, the same one the Lua script reads. */
            secretFile: z.string().min(1),
          })
          .strict(),
        /** Mode of that socket: Dovecot's auth workers (user dovecot/root) must connect. */
        dictSocketMode: octalMode,
        /** Dovecot auth-master sockets; a password change, reset, disable or revoke flushes that user from each auth cache. */
        authMasterSockets: z.array(z.string().min(1)).default([]),
        /** Home directory template; %d is the domain, %n the username. */
        home: z.string().min(1).default('/var/vmail/%d/%n'),
        /** Dovecot mail location (relative to home with ~). */
        mailLocation: z.string().min(1).default('maildir:~/Maildir'),
        uid: z.number().int().min(1),
        gid: z.number().int().min(1),
      })
      .strict(),
    postfix: z
      .object({
        /**
         * Where Postfix asks (maps: domain, mailbox, alias, sender). A UNIX socket path
         * (`proxy:socketmap:unix:<path>:<map>`; docs/postfix-virtual.md: in a directory of group postfix, setgid, so
         * that Postfix alone can connect) or HOST:PORT (`socketmap:inet:HOST:PORT:<map>`; any local process can).
         */
        socketmap: socketAddress,
        /** Mode of that UNIX socket; its group is the directory's when the directory is setgid. */
        socketmapMode: octalMode,
      })
      .strict(),
    /** What the mail settings page tells users to put in their mail client. */
    clients: z
      .object({
        /** Host name of the mail server (default: the domain). */
        host: z.string().min(1).optional(),
        /** Onion host name, shown when the operator publishes one. */
        onion: z
          .string()
          .regex(/\.onion$/, 'must end in .onion')
          .optional(),
        imap: clientEndpoint(993, 'tls'),
        pop3: clientEndpoint(995, 'tls'),
        submission: clientEndpoint(465, 'tls'),
        managesieve: z
          .object({ port: z.number().int().min(1).max(65535).default(4190) })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type MailboxesConfig = z.output<typeof mailboxesConfigSchema>;
export type MailboxesConfigInput = z.input<typeof mailboxesConfigSchema>;
