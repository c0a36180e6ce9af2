import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from 'pino';
import { randomToken } from './tokens.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** The language the text is in (Content-Language). */
  lang?: string | undefined;
}

/**
 * What nodemailer gets for a message. Every mail of this service is a notification: `Auto-Submitted:
 * auto-generated` (RFC 3834) keeps vacation responders and mailing lists from answering it.
 */
function envelope(from: string, msg: MailMessage) {
  const { lang, ...rest } = msg;
  return {
    from,
    ...rest,
    headers: { 'Auto-Submitted': 'auto-generated', ...(lang ? { 'Content-Language': lang } : {}) },
  };
}

export type SendResult = 'written' | 'sent' | 'queued';

export interface Mailer {
  /** 'queued' means the submission failed and the message waits in the spool for the next retry. */
  send(msg: MailMessage): Promise<SendResult>;
  /** Retries every spooled message once; returns how many are still waiting. */
  flushSpool(): Promise<number>;
  close(): void;
}

export interface MailerOptions {
  mode: 'outbox' | 'smtp';
  from: string;
  /** Outbox mode: the .eml files. SMTP mode: holds spool/ for messages whose submission failed. */
  outboxDir: string;
  smtp: { host: string; port: number; secure: boolean; requireTls: boolean; user?: string | undefined; passwordFile?: string | undefined };
  /** SMTP mode: how often spooled messages are retried. Default 60 s. */
  retryIntervalMs?: number;
}

function fileName(ext: string): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomToken(6)}.${ext}`;
}

/** Written under a temporary name and renamed, so a reader never sees half a file. */
async function writeAtomic(dir: string, name: string, data: string | Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, join(dir, name));
}

type Nodemailer = typeof import('nodemailer')['default'];

/**
 * nodemailer is about 300 kB of source text (every transport, DKIM, the MIME type table) that an idle daemon would keep
 * on its heap, and most daemons send a mail rarely: it loads with the first message, not at start-up. The options are
 * built at start-up, so a bad configuration (an unreadable password file) still fails there; only the module waits.
 * In the bundle, `import()` is a split point: nodemailer sits in its own chunk.
 */
function lazyTransport<T extends Transporter<unknown>>(create: (nodemailer: Nodemailer) => T) {
  let transport: Promise<T> | undefined;
  return {
    get: (): Promise<T> => {
      if (transport) return transport;
      const loading = import('nodemailer').then((m) => create(m.default));
      // A failed load (a bundle replaced under a running daemon has new chunk names) is tried again by the next
      // message; in SMTP mode the message waits in the spool meanwhile, and the log says why.
      loading.catch(() => {
        if (transport === loading) transport = undefined;
      });
      transport = loading;
      return loading;
    },
    close(): void {
      void transport?.then(
        (t) => t.close(),
        () => {},
      );
    },
  };
}

/**
 * Outbox mode renders the RFC 5322 message with nodemailer's stream transport and writes it as <time>-<random>.eml.
 * SMTP mode submits with nodemailer; a failed submission (server down, 4xx, TLS refused) is never dropped: the
 * message goes to <outboxDir>/spool/ and is retried until it is accepted.
 */
export async function createMailer(opts: MailerOptions, logger: Logger): Promise<Mailer> {
  if (opts.mode === 'outbox') {
    await mkdir(opts.outboxDir, { recursive: true, mode: 0o700 });
    const transport = lazyTransport((nodemailer) =>
      nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }),
    );
    return {
      async send(msg) {
        const info = await (await transport.get()).sendMail(envelope(opts.from, msg));
        const name = fileName('eml');
        await writeAtomic(opts.outboxDir, name, info.message as Buffer);
        logger.info({ file: name }, 'notification written to outbox');
        return 'written';
      },
      async flushSpool() {
        return 0;
      },
      close() {
        transport.close();
      },
    };
  }
  const spool = join(opts.outboxDir, 'spool');
  await mkdir(spool, { recursive: true, mode: 0o700 });
  const pass = opts.smtp.passwordFile ? (await readFile(opts.smtp.passwordFile, 'utf8')).trim() : undefined;
  const smtpOptions: SMTPTransport.Options = {
    host: opts.smtp.host,
    port: opts.smtp.port,
    secure: opts.smtp.secure,
    requireTLS: !opts.smtp.secure && opts.smtp.requireTls,
    ignoreTLS: !opts.smtp.secure && !opts.smtp.requireTls,
    ...(opts.smtp.user ? { auth: { user: opts.smtp.user, pass: pass ?? '' } } : {}),
  };
  const transport = lazyTransport((nodemailer) => nodemailer.createTransport(smtpOptions));
  let flushing: Promise<number> | undefined;
  const flushSpool = (): Promise<number> => {
    flushing ??= (async () => {
      let waiting = 0;
      for (const name of (await readdir(spool)).filter((f) => f.endsWith('.json')).sort()) {
        const path = join(spool, name);
        let msg: MailMessage;
        try {
          msg = JSON.parse(await readFile(path, 'utf8')) as MailMessage;
        } catch {
          continue;
        }
        try {
          await (await transport.get()).sendMail(envelope(opts.from, msg));
          await unlink(path);
          logger.info({ file: name }, 'spooled notification submitted');
        } catch (err) {
          waiting++;
          logger.warn({ file: name, err: { message: (err as Error).message } }, 'spooled notification still not accepted; will retry');
        }
      }
      return waiting;
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flushSpool().catch(() => {}), opts.retryIntervalMs ?? 60_000);
  timer.unref();
  return {
    async send(msg) {
      try {
        await (await transport.get()).sendMail(envelope(opts.from, msg));
        logger.info('notification submitted');
        return 'sent';
      } catch (err) {
        const name = fileName('json');
        await writeAtomic(spool, name, JSON.stringify(msg));
        logger.warn({ file: name, err: { message: (err as Error).message } }, 'notification submission failed; spooled for retry');
        return 'queued';
      }
    },
    flushSpool,
    close() {
      clearInterval(timer);
      transport.close();
    },
  };
}
