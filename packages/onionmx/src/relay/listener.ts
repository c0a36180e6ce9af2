/**
 * The MTA-facing side: an smtp-server in LMTP or SMTP mode whose RCPT and DATA go to the mode's handler (the
 * bind is listenSmtpServer). No AUTH, no STARTTLS: the listeners are loopback-only.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { countDelivery, dropPending, stateOf, type RelayContext } from './relay-context.ts';
import { installFastDataParser } from './relay-data-parser.ts';
import { lmtpData, lmtpRcpt } from './lmtp-handler.ts';
import { smtpData, smtpRcpt } from './smtp-handler.ts';
import { decideRecipient, type Recipient } from './recipient-routing.ts';
import { errorWithCode, RELAY_REPLIES, relayReply } from './relay-replies.ts';

export type RelayMode = 'lmtp' | 'smtp';

async function onRcpt(ctx: RelayContext, address: SMTPServerAddress, session: SMTPServerSession, mode: RelayMode): Promise<void> {
  const s = stateOf(ctx, session);
  if (s.recipients.size >= ctx.config.limits.maxRecipients) throw errorWithCode(relayReply(RELAY_REPLIES.tooManyRecipients));
  const routed = await decideRecipient(ctx.resolver, address.address);
  if (!('kind' in routed)) {
    countDelivery(ctx, routed, 'none');
    throw errorWithCode(routed);
  }
  const args = (address.args || {}) as Record<string, string | undefined>;
  const rcpt: Recipient = { address: address.address, params: { notify: args.NOTIFY, orcpt: args.ORCPT }, decision: routed };
  if (mode === 'lmtp') lmtpRcpt(ctx, address, session, rcpt);
  else await smtpRcpt(ctx, address, session, rcpt);
}

/** `idleMs`: how long the MTA may be silent, which is while we wait on the far side. */
export function makeServer(ctx: RelayContext, mode: RelayMode, idleMs: number): SMTPServer {
  const { config, metrics, logger, states } = ctx;
  const server = new SMTPServer({
    lmtp: mode === 'lmtp',
    name: config.heloName,
    banner: 'peergroup onionmx relay',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    // Replies carry the far side's own enhanced codes; smtp-server would prepend a second one.
    hideENHANCEDSTATUSCODES: true,
    hideDSN: false,
    disableReverseLookup: true,
    size: config.limits.maxMessageSize,
    maxClients: config.limits.maxConnections,
    socketTimeout: idleMs,
    closeTimeout: 1000,
    logger: false,
    onConnect(session, cb) {
      metrics.inboundSessions.inc();
      states.set(session.id, { recipients: new Map() });
      cb();
    },
    onClose(session) {
      metrics.inboundSessions.dec();
      const s = states.get(session.id);
      if (s) dropPending(s);
      states.delete(session.id);
    },
    onMailFrom(_address, session, cb) {
      // A new transaction (after RSET or a finished one) starts clean.
      const s = stateOf(ctx, session);
      dropPending(s);
      s.recipients.clear();
      cb();
    },
    onRcptTo(address, session, cb) {
      onRcpt(ctx, address, session, mode).then(
        () => cb(),
        (err: Error) => cb(err),
      );
    },
    onData(stream, session, cb) {
      const work = mode === 'lmtp' ? lmtpData(ctx, stream, session) : smtpData(ctx, stream, session);
      work.then(
        (res) => cb(null, res as unknown as string),
        (err: Error & { responseCode?: number }) => {
          logger.warn({ session: session.id, err: err.message }, 'delivery aborted');
          cb(err.responseCode ? err : errorWithCode(relayReply(RELAY_REPLIES.aborted, err.message)));
        },
      );
    },
  });
  // Un-stuffing DATA was a third of the relay's busy time (bench/relay); same bytes, native search. Pass-through:
  // the message stays dot-stuffed from the MTA to the far MX (isDotStuffed; the stock parser, should smtp-server's
  // internals change, gives un-stuffed streams and the session stuffs again).
  installFastDataParser(server, { stuffed: true });
  return server;
}
