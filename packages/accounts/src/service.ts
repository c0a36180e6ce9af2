import { createServer } from 'node:http';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { createMetricsRegistry, listen, startMetricsServer, type HostPort, type RunningService } from '@peergroup/service';
import { accountsConfigSchema, type AccountsConfig, type AccountsConfigInput } from './config.ts';
import { openAccountsContext, type AccountsContext } from './context.ts';
import { createMailer } from './mailer.ts';
import { createAccountsMetrics } from './metrics.ts';
import type { AppDeps } from './app.tsx';
import { lazyListener } from './lazy-listener.ts';
import { unavailableText } from './i18n/unavailable.ts';
import { Semaphore } from './semaphore.ts';
import type { MailLookups } from './mail/lookup-service.ts';

export interface RunningAccounts extends RunningService {
  /** http://host:port/ of the public listener. */
  url: string;
  /** Database, trust store and sessions (tests and the bench reach behind the web pages through it). */
  context: AccountsContext;
  outboxDir: string;
}

export interface StartAccountsOptions {
  logger: Logger;
  /** Metrics are registered here (`peergroup serve` passes one registry for all services). */
  registry?: Registry;
  now?: () => Date;
}

export async function startAccounts(config: AccountsConfig, opts: StartAccountsOptions): Promise<RunningAccounts> {
  const { logger } = opts;
  const registry = opts.registry ?? createMetricsRegistry();
  const outboxDir = resolve(config.mail.outboxDir ?? join(config.dataDir, 'outbox'));
  const mailer = await createMailer(
    { mode: config.mail.mode, from: config.mail.from, outboxDir, smtp: config.mail.smtp, retryIntervalMs: config.mail.retryInterval },
    logger,
  );
  const metrics = createAccountsMetrics(registry);
  let context: AccountsContext;
  try {
    context = await openAccountsContext(config, {
      logger,
      mailer: {
        send: (m) =>
          mailer.send(m).then(
            (result) => {
              metrics.mail.inc({ result });
              return result;
            },
            (err: unknown) => {
              metrics.mail.inc({ result: 'failed' });
              throw err;
            },
          ),
        flushSpool: () => mailer.flushSpool(),
        close: () => mailer.close(),
      },
      ...(opts.now ? { now: opts.now } : {}),
    });
  } catch (err) {
    mailer.close();
    throw err;
  }
  const pwhashSlots = new Semaphore(config.trust.pwhashConcurrency ?? Math.max(1, availableParallelism() - 1));
  new Gauge({
    name: 'peergroup_accounts_pwhash_waiting',
    help: 'Requests waiting for an Argon2id slot',
    registers: [registry],
    collect() {
      this.set(pwhashSlots.waiting);
    },
  });
  const appDeps: AppDeps = {
    pwhashSlots,
    config,
    trust: context.store,
    sessions: context.sessions,
    audit: context.audit,
    csrfKey: context.csrfKey,
    logger,
    metrics,
    getInviteQuota: (id) => context.inviteQuota(id),
    rateLimits: context.rateLimits,
    failedLogin: (username) => context.failedLogin(username),
    mail: context.mail,
    locales: context.locales,
  };
  // The web app is imported with the first request, not at start: hono's Node adapter loads Node's fetch classes
  // (undici, about 9 MB), and with the pages and their four catalogues it is most of an idle daemon's memory, which a
  // service that waits hours between visits would otherwise hold from the start (bench/footprint has both rows).
  const server = createServer(
    lazyListener(
      async () => {
        const [{ getRequestListener }, { createApp }] = await Promise.all([import('@hono/node-server'), import('./app.tsx')]);
        return getRequestListener(createApp(appDeps).fetch);
      },
      (err) => logger.error({ err: { message: (err as Error).message } }, 'the web app failed to load'),
      (req) => unavailableText(req.headers['accept-language']),
    ),
  );
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  let http: HostPort;
  try {
    http = await listen(server, config.listen, 'listen');
  } catch (err) {
    await context.close();
    mailer.close();
    throw err;
  }
  const addresses: Record<string, HostPort> = { http };
  const sockets: Record<string, string> = {};
  // Mail lookups (Dovecot dict, Postfix socketmap) share this process's database connection.
  let mailLookups: MailLookups | undefined;
  let deletions: NodeJS.Timeout | undefined;
  if (context.mail) {
    const mail = context.mail;
    try {
      // The Dovecot/Postfix socket servers and their codecs load only where mail accounts are on.
      const { startMailLookups } = await import('./mail/lookup-service.ts');
      mailLookups = await startMailLookups(mail.directory, logger, registry, mail.crypt);
    } catch (err) {
      server.close();
      await context.close();
      mailer.close();
      throw err;
    }
    if (typeof mailLookups.socketmap === 'string') sockets['mail-socketmap'] = mailLookups.socketmap;
    else addresses['mail-socketmap'] = mailLookups.socketmap;
    addresses['mail-passdb'] = mailLookups.passdb;
    sockets['mail-dict'] = mailLookups.dictSocket;
    const runDeletions = () => {
      mail
        .processDueDeletions()
        .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'account deletion run failed'));
    };
    deletions = setInterval(runDeletions, 60_000);
    deletions.unref();
    runDeletions();
  }

  let metricsServer: RunningService | undefined;
  if (config.metrics.listen) {
    metricsServer = await startMetricsServer(config.metrics.listen, [registry], async () => {
      try {
        await context.store.getUser('0'.repeat(32));
        return [];
      } catch (err) {
        return [`database: ${(err as Error).message}`];
      }
    });
    addresses.metrics = metricsServer.addresses.http!;
  }
  const purge = setInterval(() => {
    context.sessions
      .purgeExpired()
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'session purge failed'));
    context.rateLimits
      .prune()
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'rate-limit purge failed'));
  }, 10 * 60_000);
  purge.unref();

  const host = http.host.includes(':') ? `[${http.host}]` : http.host;
  let closing: Promise<void> | undefined;
  return {
    name: 'accounts',
    addresses,
    sockets,
    summary: { database: context.dialect, ...(config.mail.mode === 'outbox' ? { outbox: outboxDir } : {}) },
    url: `http://${host}:${http.port}/`,
    context,
    outboxDir,
    close() {
      closing ??= (async () => {
        clearInterval(purge);
        if (deletions) clearInterval(deletions);
        await mailLookups?.close();
        await new Promise<void>((res) => {
          server.close(() => res());
          server.closeAllConnections();
        });
        await metricsServer?.close();
        await context.close();
        mailer.close();
      })();
      return closing;
    },
  };
}

/** Parses (with defaults) and starts: convenient for tests and embedding. */
export function startAccountsFrom(input: AccountsConfigInput, opts: StartAccountsOptions): Promise<RunningAccounts> {
  return startAccounts(accountsConfigSchema.parse(input), opts);
}
