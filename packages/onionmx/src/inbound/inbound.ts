/**
 * `peergroup onionmx inbound`: the SMTP front of our own onion service.
 *
 * Tor delivers onion connections from loopback, which MTAs trust, so the front never lets a Tor client talk to the MX
 * as itself: it accepts RCPT only for our own domains after a strict syntax check, and forwards each transaction
 * synchronously to the internal MX while telling it (XCLIENT or PROXY protocol) that the client is an unprivileged
 * pseudo client. The MX's replies are passed back; the final 250 is given only after the MX gave it.
 */
import { isIPv4 } from 'node:net';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Registry } from 'prom-client';
import type { InboundConfig } from './inbound-config.ts';
import { inboundMetrics, type InboundMetrics } from './inbound-metrics.ts';
import { MxError, MxSession, replyLine, type MxClientOptions, type MxIdentity, type MxTimeouts } from './inbound-mx-client.ts';
import type { Logger } from '@peergroup/service';
import { startMetricsServer } from '@peergroup/service';
import { proxyAddresses } from '@peergroup/mta-codecs';
import { parseRcptArgument, splitPathArgument } from './recipient-address.ts';
import type { RunningService } from '@peergroup/service';
import type { SmtpReply } from '@peergroup/mta-codecs';
import { xclientAddr } from '@peergroup/mta-codecs';

export interface InboundDeps {
  logger: Logger;
  registry: Registry;
}

/** The parts of smtp-server's per-connection object the front relies on (not in its public types). */
interface ConnectionInternals {
  session: SMTPServerSession;
  _onCommand: (command: Buffer | string, callback?: () => void) => unknown;
  send(code: number, text?: string): void;
  close(): void;
}

interface SessionState {
  conn: ConnectionInternals;
  /** The raw line of the command being handled: smtp-server normalises addresses (drops source routes, decodes IDNs). */
  lastCommand: string;
  mx: MxSession | null;
  /** MAIL FROM path and parameters not yet sent to the MX (see onMailFrom). */
  pendingMail: { path: string; params: string } | null;
  /** The MX refused this transaction's MAIL: every RCPT gets its answer. */
  mailError: SmtpError | null;
  utf8: boolean;
  rcpts: number;
  dataStream: Readable | null;
  timers: NodeJS.Timeout[];
  timedOut: boolean;
}

type SmtpError = Error & { responseCode: number };

function smtpError(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

function fromReply(reply: SmtpReply): SmtpError {
  return smtpError(reply.code, replyLine(reply) || 'no text');
}

/** Every extension whose MAIL parameters the front can pass on, for the syntax check before an MX is chosen. */
const ALL_EXTENSIONS: ReadonlyMap<string, string> = new Map(['SIZE', '8BITMIME', 'SMTPUTF8', 'DSN'].map((k) => [k, '']));

const SAFE_HELO = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[(?:IPv6:)?[0-9A-Fa-f:.]+\])$/;

/** Which MAIL FROM parameters go on to the MX, given its EHLO keywords; an error refuses the MAIL. */
export function forwardMailParams(params: string, mxExtensions: ReadonlyMap<string, string>): { params: string[]; utf8: boolean } | { error: SmtpError } {
  const out: string[] = [];
  let utf8 = false;
  for (const token of params.split(/[ \t]+/).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/.test(token)) {
      return { error: smtpError(501, `5.5.4 malformed MAIL parameter ${JSON.stringify(token.slice(0, 40))}`) };
    }
    const [rawKey = '', value] = token.split('=', 2) as [string, string | undefined];
    const key = rawKey.toUpperCase();
    switch (key) {
      case 'SIZE':
        if (mxExtensions.has('SIZE')) out.push(token);
        break;
      case 'BODY': {
        const body = (value ?? '').toUpperCase();
        if (body === '7BIT') out.push(token);
        else if (body === '8BITMIME' && mxExtensions.has('8BITMIME')) out.push(token);
        else return { error: smtpError(555, `5.5.4 BODY=${body} is not supported here`) };
        break;
      }
      case 'SMTPUTF8':
        if (!mxExtensions.has('SMTPUTF8')) return { error: smtpError(555, '5.6.7 SMTPUTF8 is not supported here') };
        out.push('SMTPUTF8');
        utf8 = true;
        break;
      case 'RET':
      case 'ENVID':
        // DSN parameters are advice; without DSN at the MX they are dropped as RFC 3461 §4.1 lets a relay do.
        if (mxExtensions.has('DSN')) out.push(token);
        break;
      case 'AUTH':
        // Nobody is authenticated on this port; an AUTH= identity must not be vouched for towards the MX.
        break;
      default:
        return { error: smtpError(555, `5.5.4 MAIL parameter ${key} is not supported here`) };
    }
  }
  return { params: out, utf8 };
}

function forwardRcptParams(params: string, mxExtensions: ReadonlyMap<string, string>): string[] | SmtpError {
  const out: string[] = [];
  for (const token of params.split(/[ \t]+/).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/.test(token)) return smtpError(501, `5.5.4 malformed RCPT parameter`);
    const key = token.split('=', 1)[0]!.toUpperCase();
    if (key === 'NOTIFY' || key === 'ORCPT') {
      if (mxExtensions.has('DSN')) out.push(token);
    } else {
      return smtpError(555, `5.5.4 RCPT parameter ${key} is not supported here`);
    }
  }
  return out;
}

/** Scans message bytes for over-long lines, across chunk boundaries. */
class LineLengthGuard {
  private current = 0;
  constructor(private readonly max: number) {}
  /** True when a line (CRLF included) exceeded the limit. */
  exceeded(chunk: Buffer): boolean {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        this.current += chunk.length - from;
        return this.current > this.max;
      }
      if (this.current + (nl - from) + 1 > this.max) return true;
      this.current = 0;
      from = nl + 1;
    }
  }
}

interface ProbeResult {
  until: number;
  error: SmtpError | null;
}

/** The running front; `setDomains` swaps the accepted domains between two RCPTs (SIGHUP), nothing else changes. */
export interface InboundService extends RunningService {
  setDomains(list: readonly string[]): void;
}

export async function startInbound(config: InboundConfig, deps: InboundDeps): Promise<InboundService> {
  const { logger } = deps;
  const metrics: InboundMetrics = inboundMetrics(deps.registry);
  const domains = new Set(config.domains);
  const states = new Map<string, SessionState>();
  const probeCache = new Map<string, ProbeResult>();
  const s = (n: number) => Math.round(n * 1000);
  const mxTimeouts: MxTimeouts = {
    connect: s(config.mxTimeouts.connect),
    greeting: s(config.mxTimeouts.greeting),
    command: s(config.mxTimeouts.command),
    dataInit: s(config.mxTimeouts.dataInit),
    dataBlock: s(config.mxTimeouts.dataBlock),
    dataTerm: s(config.mxTimeouts.dataTerm),
  };

  function identity(session: SMTPServerSession): MxIdentity {
    const f = config.forward;
    if (f.mode === 'xclient') return { mode: 'xclient', attributes: { NAME: f.clientName, ADDR: xclientAddr(f.clientAddress) } };
    if (f.mode === 'none') return { mode: 'none' };
    const dst = f.destinationAddress ?? (isIPv4(f.clientAddress) ? '127.0.0.1' : '::1');
    // The source port is the Tor daemon's ephemeral loopback port: meaningless to the MX, but PROXY needs one.
    // Exim refuses port 0 in a v1 header.
    return { mode: f.mode, addresses: proxyAddresses(f.clientAddress, session.remotePort || 1024, dst, 25) };
  }

  function mxOptions(session: SMTPServerSession, helo: string): MxClientOptions {
    return { mx: config.mx, ehloName: config.hostname, clientHelo: helo, identity: identity(session), timeouts: mxTimeouts };
  }

  /** Maps a failure talking to the MX to the Tor-side reply: always temporary, the client keeps the message. */
  function mxFailure(err: unknown, st: SessionState | undefined, phase: string): SmtpError {
    st?.mx?.abort();
    if (st) st.mx = null;
    if (err instanceof MxError) {
      metrics.mxErrors.inc({ kind: err.kind });
      if (err.kind === 'identity') {
        logger.error({ err: err.message, phase }, 'cannot present the pseudo client to the MX; refusing to forward (check smtpd_authorized_xclient_hosts / proxy settings)');
        return smtpError(451, '4.3.5 the onion front is misconfigured; try again later');
      }
      // Even a 5xx while setting up the session is our MX's problem, not the sender's: tempfail so the peer retries.
      logger.warn({ err: err.message, phase }, 'internal MX failure');
      return smtpError(451, `4.4.1 internal mail server unavailable (${err.kind}); try again later`);
    }
    logger.error({ err: (err as Error).message, phase }, 'unexpected inbound failure');
    return smtpError(451, '4.3.0 internal error; try again later');
  }

  async function probe(address: string, session: SMTPServerSession): Promise<SmtpError | null> {
    const key = address.toLowerCase();
    const hit = probeCache.get(key);
    if (hit && hit.until > Date.now()) {
      metrics.probes.inc({ result: 'cached' });
      return hit.error;
    }
    let mx: MxSession | null = null;
    try {
      mx = await MxSession.open({ mx: config.mx, ehloName: config.hostname, clientHelo: config.hostname, identity: identity(session), timeouts: mxTimeouts });
      const mail = await mx.command('MAIL FROM:<>', mxTimeouts.command);
      if (mail.code !== 250) throw new MxError(`probe MAIL FROM:<> refused: ${mail.code} ${replyLine(mail)}`, 'refused');
      const r = await mx.command(`RCPT TO:<${address}>`, mxTimeouts.command);
      await mx.quit();
      if (r.code >= 400 && r.code < 500) {
        metrics.probes.inc({ result: 'tempfail' });
        return fromReply(r);
      }
      const error = r.code >= 500 ? fromReply(r) : null;
      metrics.probes.inc({ result: error ? 'reject' : 'accept' });
      if (config.probeCacheSeconds > 0) {
        if (probeCache.size >= 10000) probeCache.delete(probeCache.keys().next().value!);
        probeCache.set(key, { until: Date.now() + config.probeCacheSeconds * 1000, error });
      }
      return error;
    } catch (err) {
      mx?.abort();
      metrics.probes.inc({ result: 'tempfail' });
      if (err instanceof MxError) metrics.mxErrors.inc({ kind: err.kind });
      logger.warn({ err: (err as Error).message }, 'recipient probe failed');
      return smtpError(451, '4.4.1 cannot verify the recipient now; try again later');
    }
  }

  /** The MX session with this transaction's MAIL sent (opened or RSET as needed), or the answer for the RCPT. */
  async function openTransaction(st: SessionState, session: SMTPServerSession): Promise<MxSession | SmtpError> {
    if (st.mailError) return st.mailError;
    if (st.mx?.broken) st.mx = null;
    if (!st.pendingMail) {
      if (st.mx?.inTransaction) return st.mx;
      return smtpError(451, '4.3.0 transaction state lost; try again');
    }
    if (st.mx?.inTransaction) {
      const r = await st.mx.command('RSET', mxTimeouts.command);
      st.mx.inTransaction = false;
      if (r.code !== 250) {
        st.mx.abort();
        st.mx = null;
      }
    }
    const helo = session.hostNameAppearsAs && SAFE_HELO.test(session.hostNameAppearsAs) ? session.hostNameAppearsAs : config.forward.clientName;
    st.mx ??= await MxSession.open(mxOptions(session, helo));
    const mail = st.pendingMail;
    st.pendingMail = null;
    const params = forwardMailParams(mail.params, st.mx.extensions);
    if ('error' in params) {
      st.mailError = params.error;
      return params.error;
    }
    const r = await st.mx.command([`MAIL FROM:<${mail.path}>`, ...params.params].join(' '), mxTimeouts.command, 'MAIL');
    if (r.code !== 250) {
      st.mailError = fromReply(r);
      return st.mailError;
    }
    st.mx.inTransaction = true;
    return st.mx;
  }

  function kill(st: SessionState, code: number, text: string): void {
    if (!st.timedOut) metrics.sessions.inc({ result: 'timeout' });
    st.timedOut = true;
    st.mx?.abort('client session ended');
    st.mx = null;
    st.dataStream?.destroy();
    try {
      st.conn.send(code, text);
      st.conn.close();
    } catch {
      /* already gone */
    }
  }

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
    socketTimeout: s(config.timeouts.command),
    closeTimeout: 5000,
    logger: false,
    ...({ maxCommandLength: config.limits.commandLength } as object),

    onConnect(session, callback) {
      let conn: ConnectionInternals | undefined;
      for (const c of server.connections as Set<ConnectionInternals>) {
        if (c.session === session) conn = c;
      }
      if (!conn || typeof conn._onCommand !== 'function' || typeof conn.send !== 'function' || typeof conn.close !== 'function') {
        // Without the raw command line the strict recipient check cannot run: fail closed.
        logger.error('smtp-server internals changed: cannot observe raw commands, refusing sessions');
        return callback(smtpError(421, '4.3.0 service not available'));
      }
      const st: SessionState = { conn, lastCommand: '', mx: null, pendingMail: null, mailError: null, utf8: false, rcpts: 0, dataStream: null, timers: [], timedOut: false };
      const original = conn._onCommand;
      const c = conn;
      conn._onCommand = (command, cb) => {
        st.lastCommand = Buffer.isBuffer(command) ? command.toString('utf8') : String(command);
        return original.call(c, command, cb);
      };
      const timer = setTimeout(() => {
        logger.info({ session: session.id }, 'session time limit reached');
        kill(st, 421, '4.4.2 session time limit reached, closing');
      }, s(config.timeouts.session));
      timer.unref();
      st.timers.push(timer);
      states.set(session.id, st);
      metrics.activeSessions.inc();
      callback();
    },

    onMailFrom(_address: SMTPServerAddress, session, callback) {
      const st = states.get(session.id);
      if (!st) return callback(smtpError(421, '4.3.0 session state lost'));
      const m = /^MAIL[ \t]+FROM:(.*)$/is.exec(st.lastCommand);
      const split = m ? splitPathArgument(m[1]!) : null;
      if (!split) return callback(smtpError(501, '5.5.4 MAIL FROM:<address> expected'));
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x1f\x7f]/.test(split.path)) return callback(smtpError(501, '5.1.7 control characters in the sender address'));
      // Checked against what any MX could take now; against this MX's extensions when the MAIL is sent.
      const check = forwardMailParams(split.params, ALL_EXTENSIONS);
      if ('error' in check) return callback(check.error);
      // The MX only hears of the transaction at the first recipient we accept, so a session that only tries to
      // relay never reaches it. Its answer to MAIL is then given to that RCPT (as Postfix's smtpd_delay_reject does).
      st.pendingMail = split;
      st.mailError = null;
      st.utf8 = check.utf8;
      st.rcpts = 0;
      callback();
    },

    onRcptTo(_address: SMTPServerAddress, session, callback) {
      void (async () => {
        const st = states.get(session.id);
        if (!st) return callback(smtpError(421, '4.3.0 session state lost'));
        const m = /^RCPT[ \t]+TO:(.*)$/is.exec(st.lastCommand);
        if (!m) {
          metrics.recipients.inc({ result: 'syntax' });
          return callback(smtpError(501, '5.5.4 RCPT TO:<address> expected'));
        }
        const parsed = parseRcptArgument(m[1]!, { utf8: st.utf8 });
        if (!parsed.ok) {
          metrics.recipients.inc({ result: 'syntax' });
          logger.info({ session: session.id, reason: parsed.reason }, 'recipient refused (syntax)');
          return callback(smtpError(550, `5.1.3 recipient refused: ${parsed.reason}`));
        }
        if (st.rcpts >= config.limits.recipients) {
          metrics.recipients.inc({ result: 'too_many' });
          return callback(smtpError(452, '4.5.3 too many recipients'));
        }
        if (parsed.domain !== null && !domains.has(parsed.domain)) {
          const refusal =
            config.recipientCheck === 'probe'
              ? await probe(parsed.address, session)
              : smtpError(554, `5.7.1 relay access denied: this onion accepts mail for ${[...domains].join(', ')} only`);
          if (refusal) {
            metrics.recipients.inc({ result: refusal.responseCode < 500 ? 'tempfail' : 'not_local' });
            logger.info({ session: session.id, domain: parsed.domain, code: refusal.responseCode }, 'recipient refused (not ours)');
            return callback(refusal);
          }
        }
        try {
          const mx = await openTransaction(st, session);
          if (!(mx instanceof MxSession)) {
            metrics.recipients.inc({ result: mx.responseCode >= 500 ? 'mx_rejected' : 'tempfail' });
            return callback(mx);
          }
          const params = forwardRcptParams(parsed.params, mx.extensions);
          if (!Array.isArray(params)) return callback(params);
          const r = await mx.command([`RCPT TO:<${parsed.address}>`, ...params].join(' '), mxTimeouts.command, 'RCPT');
          if (r.code !== 250 && r.code !== 251) {
            metrics.recipients.inc({ result: r.code >= 500 ? 'mx_rejected' : 'tempfail' });
            return callback(fromReply(r));
          }
          st.rcpts++;
          metrics.recipients.inc({ result: 'accepted' });
          callback();
        } catch (err) {
          metrics.recipients.inc({ result: 'tempfail' });
          callback(mxFailure(err, st, 'RCPT'));
        }
      })();
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      void (async () => {
        const st = states.get(session.id);
        const drain = async () => {
          for await (const _ of stream) void _;
        };
        if (!st || !st.mx || st.mx.broken || !st.mx.inTransaction) {
          await drain().catch(() => undefined);
          metrics.messages.inc({ result: 'tempfail' });
          return callback(mxFailure(new MxError('no open transaction at the MX', 'closed'), st, 'DATA'));
        }
        const mx = st.mx;
        st.dataStream = stream;
        const dataTimer = setTimeout(() => {
          logger.info({ session: session.id }, 'message transfer time limit reached');
          metrics.messages.inc({ result: 'timeout' });
          kill(st, 421, '4.4.2 message transfer took too long, closing');
        }, s(config.timeouts.data));
        try {
          const r = await mx.command('DATA', mxTimeouts.dataInit, 'DATA');
          if (r.code !== 354) {
            await drain();
            metrics.messages.inc({ result: r.code >= 500 ? 'mx_rejected' : 'tempfail' });
            return callback(fromReply(r));
          }
          const guard = new LineLengthGuard(config.limits.lineLength);
          const result = await mx.sendData(stream, mxTimeouts, (chunk) => {
            if (stream.sizeExceeded) return 'size';
            if (chunk && guard.exceeded(chunk)) return 'line';
            return null;
          });
          st.mx = mx.broken ? null : mx;
          if ('aborted' in result) {
            if (result.aborted === 'size') {
              metrics.messages.inc({ result: 'too_big' });
              return callback(smtpError(552, `5.3.4 message exceeds the maximum size of ${config.limits.messageSize} bytes`));
            }
            metrics.messages.inc({ result: 'line_too_long' });
            return callback(smtpError(554, `5.6.0 message has a line longer than ${config.limits.lineLength} bytes`));
          }
          metrics.bytes.inc(stream.byteLength ?? 0);
          if (result.reply.code !== 250) {
            metrics.messages.inc({ result: result.reply.code >= 500 ? 'mx_rejected' : 'tempfail' });
            return callback(fromReply(result.reply));
          }
          metrics.messages.inc({ result: 'accepted' });
          logger.info({ session: session.id, bytes: stream.byteLength, rcpts: st.rcpts, mx: replyLine(result.reply) }, 'message forwarded');
          callback(null, replyLine(result.reply));
        } catch (err) {
          await drain().catch(() => undefined);
          if (!st.timedOut) metrics.messages.inc({ result: 'tempfail' });
          callback(mxFailure(err, st, 'DATA'));
        } finally {
          clearTimeout(dataTimer);
          st.dataStream = null;
        }
      })();
    },

    onClose(session) {
      const st = states.get(session.id);
      if (!st) return;
      states.delete(session.id);
      for (const t of st.timers) clearTimeout(t);
      if (st.mx) {
        // A message cut off mid-DATA must be dropped, never completed: closing without the final dot discards it at
        // the MX. Otherwise QUIT, which also ends an open transaction.
        if (st.dataStream) st.mx.abort('client left during DATA');
        else void st.mx.quit();
      }
      st.dataStream?.destroy();
      metrics.activeSessions.dec();
      if (!st.timedOut) metrics.sessions.inc({ result: 'closed' });
    },
  });

  server.on('error', (err) => logger.error({ err: err.message }, 'SMTP server error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const addr = server.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('inbound: listener has no TCP address');
  const smtp = { host: addr.address, port: addr.port };
  const metricsService = config.metrics
    ? await startMetricsServer(config.metrics, [deps.registry], () => (server.server.listening ? [] : ['SMTP listener is down']))
    : null;
  logger.info({ listen: smtp, mx: config.mx, mode: config.forward.mode, domains: config.domains, recipientCheck: config.recipientCheck }, 'onion inbound front listening');

  return {
    name: 'inbound',
    addresses: { smtp, ...(metricsService ? { metrics: metricsService.addresses.http! } : {}) },
    setDomains(list) {
      domains.clear();
      for (const d of list) domains.add(d);
    },
    async close() {
      await metricsService?.close();
      for (const st of states.values()) {
        st.mx?.abort('shutting down');
        st.mx = null;
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
