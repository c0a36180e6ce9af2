// The one SMTP client, split as Postfix's smtp(8): connect (a stream), session (the protocol), reuse (idle
// sessions), trouble (what a failure means for the daemon's own client).
export { SmtpClientError, asClientError, PHASE_LABEL, type SmtpPhase, type SmtpErrorKind, type DialVerdict } from './errors.ts';
export { RFC5321_TIMEOUTS, timeoutFor, type SmtpTimeouts } from './timeouts.ts';
export { ReplyReader } from './reply-reader.ts';
export { connectTcp, type DialFunction, type TcpTarget } from './connect.ts';
export { SmtpSession, type SmtpSessionOptions, type TlsPolicy } from './session.ts';
export { SessionCache, type ReusableSession, type Cached } from './reuse.ts';
export { TROUBLE, replyOf, relayedReply, relayTrouble, frontTrouble, type Reply, type ReplyRow, type FrontIdentity } from './trouble.ts';
