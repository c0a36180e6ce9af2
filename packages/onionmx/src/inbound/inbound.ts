/**
 * `peergroup onionmx inbound`: the SMTP front of our own onion service.
 *
 * Tor delivers onion connections from loopback, which MTAs trust, so the front never lets a Tor client talk to the MX
 * as itself: it accepts RCPT only for our own domains after a strict syntax check, and forwards each transaction
 * synchronously to the internal MX while telling it (XCLIENT or PROXY protocol) that the client is an unprivileged
 * pseudo client. The MX's replies are passed back; the final 250 is given only after the MX gave it.
 */
import { SMTPServer } from 'smtp-server';
import type { Registry } from 'prom-client';
import { formatHostPort, startMetricsServer, type Logger, type RunningService } from '@peergroup/service';
import { listenSmtpServer } from '../smtp-server/listen.ts';
import type { InboundConfig } from './inbound-config.ts';
import { inboundMetrics } from './inbound-metrics.ts';
import { mxTimeoutsOf, type InboundContext, type SessionState } from './inbound-context.ts';
import { smtpError } from './mail-params.ts';
import { connectionOf, observeCommands } from './raw-command-hook.ts';
import { RecipientProbe } from './recipient-probe.ts';
import { onMailFrom, onRcptTo } from './envelope-handlers.ts';
import { kill, onData } from './data-handler.ts';

export { forwardMailParams } from './mail-params.ts';

export interface InboundDeps {
  logger: Logger;
  registry: Registry;
}

/** The running front; `setDomains` swaps the accepted domains between two RCPTs (SIGHUP), nothing else changes. */
export interface InboundService extends RunningService {
  setDomains(list: readonly string[]): void;
}

export async function startInbound(config: InboundConfig, deps: InboundDeps): Promise<InboundService> {
  const { logger } = deps;
  const ctx: InboundContext = {
    config,
    logger,
    metrics: inboundMetrics(deps.registry),
    domains: new Set(config.domains),
    states: new Map<string, SessionState>(),
    mxTimeouts: mxTimeoutsOf(config),
  };
  const { metrics, states } = ctx;
  const probe = new RecipientProbe(ctx);

  const server = new SMTPServer({
    name: config.hostname,
    banner: 'ESMTP',
    secure: false,
    // Onion services authenticate and encrypt already; no AUTH: nobody gets relay rights on this port.
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    // Every Tor client is 127.0.0.1; a PTR lookup would only leak timing and add latency.
    disableReverseLookup: true,
    // The MX's own enhanced codes are part of the text passed back; smtp-server would add a second one.
    hideENHANCEDSTATUSCODES: true,
    useXClient: false,
    useXForward: false,
    size: config.limits.messageSize,
    maxClients: config.limits.sessions,
    maxRecipients: config.limits.recipients,
    socketTimeout: config.timeouts.command,
    closeTimeout: 5000,
    logger: false,
    ...({ maxCommandLength: config.limits.commandLength } as object),

    onConnect(session, callback) {
      const conn = connectionOf(server, session);
      if (!conn) {
        // Without the raw command line the strict recipient check cannot run: fail closed.
        logger.error('smtp-server internals changed: cannot observe raw commands, refusing sessions');
        return callback(smtpError(421, '4.3.0 service not available'));
      }
      const st: SessionState = {
        conn,
        lastCommand: '',
        mx: null,
        pendingMail: null,
        mailError: null,
        utf8: false,
        rcpts: 0,
        dataStream: null,
        timers: [],
        timedOut: false,
      };
      observeCommands(conn, (line) => (st.lastCommand = line));
      const timer = setTimeout(() => {
        logger.info({ session: session.id }, 'session time limit reached');
        kill(ctx, st, 421, '4.4.2 session time limit reached, closing');
      }, config.timeouts.session);
      timer.unref();
      st.timers.push(timer);
      states.set(session.id, st);
      metrics.activeSessions.inc();
      callback();
    },

    onMailFrom(_address, session, callback) {
      const refusal = onMailFrom(ctx, session);
      callback(refusal);
    },

    onRcptTo(_address, session, callback) {
      onRcptTo(ctx, probe, session).then(
        (refusal) => callback(refusal),
        (err: Error) => callback(smtpError(451, `4.3.0 ${err.message}`)),
      );
    },

    onData(stream, session, callback) {
      onData(ctx, stream, session).then(
        (r) => ('ok' in r ? callback(null, r.ok) : callback(r.error)),
        (err: Error) => callback(smtpError(451, `4.3.0 ${err.message}`)),
      );
    },

    onClose(session) {
      const st = states.get(session.id);
      if (!st) return;
      states.delete(session.id);
      for (const t of st.timers) clearTimeout(t);
      if (st.mx) {
        // A message cut off mid-DATA must be dropped, never completed: closing without the final dot discards it at
        // the MX. Otherwise QUIT, which also ends an open transaction.
        if (st.dataStream) st.mx.abort();
        else void st.mx.quit();
      }
      st.dataStream?.destroy();
      metrics.activeSessions.dec();
      if (!st.timedOut) metrics.sessions.inc({ result: 'closed' });
    },
  });

  const smtp = await listenSmtpServer(server, config.listen, 'listen', (err) => logger.error({ err: err.message }, 'SMTP server error'));
  const metricsService = config.metrics
    ? await startMetricsServer(config.metrics.listen, [deps.registry], () => (server.server.listening ? [] : ['SMTP listener is down']))
    : null;
  return {
    name: 'inbound',
    addresses: { smtp, ...(metricsService ? { metrics: metricsService.addresses.http! } : {}) },
    summary: { mx: formatHostPort(config.mx), mode: config.forward.mode, domains: config.domains, recipientCheck: config.recipientCheck },
    setDomains(list) {
      ctx.domains.clear();
      for (const d of list) ctx.domains.add(d);
    },
    async close() {
      await metricsService?.close();
      for (const st of states.values()) {
        st.mx?.abort();
        st.mx = null;
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
